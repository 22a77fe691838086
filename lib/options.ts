// Option objects are zod schemas, strict so that a misspelled option fails; their errors
// read "Expected <what> for <option> but received <value>".
import { z } from 'zod';

import { describe } from './errors.js';
import { DTYPES } from './dtype.js';

export const dtypeField = z.enum(DTYPES).describe(`one of ${DTYPES.join(', ')}`);
export const deviceField = z.string().describe("'cpu', 'cuda' or 'cuda:N'");
export const MEMORY_FORMATS = { contiguous: 0, preserve: 1, channelsLast: 2 } as const;
export type MemoryFormat = keyof typeof MEMORY_FORMATS;
export const memoryFormatField = z.enum(['contiguous', 'preserve', 'channelsLast']).describe("'contiguous', 'preserve' or 'channelsLast'");

export const creationOptions = z.strictObject({
  dtype: dtypeField.optional(),
  device: deviceField.optional(),
  requiresGrad: z.boolean().describe('a boolean').optional(),
});
export type CreationOptions = z.input<typeof creationOptions>;

type Shape = Record<string, z.ZodType>;

function field(schema: z.ZodObject<Shape>, key: PropertyKey | undefined): string {
  let f: z.ZodType | undefined = key === undefined ? undefined : schema.shape[String(key)];
  // .optional(), .default() and .nullable() wrap the described schema
  while (f && f.description === undefined && 'unwrap' in f && typeof f.unwrap === 'function') f = f.unwrap() as z.ZodType;
  return f?.description ?? 'a valid value';
}

/** Parses `value` with `schema`, throwing a TypeError that names the option and the value. */
export function parseOptions<S extends z.ZodObject<Shape>>(schema: S, value: unknown, fn: string): z.output<S> {
  if (value === undefined) value = {};
  // a class instance (a Generator or a Tensor passed where PyTorch takes it positionally) has no
  // own enumerable keys and would pass as {}, its meaning silently lost
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && ![Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    const hint = value.constructor?.name === 'Generator' ? ': pass it as { generator }' : '';
    throw new TypeError(`Expected an options object for ${fn} but received ${describe(value)}${hint}`);
  }
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new TypeError(`Unknown option '${issue.keys[0]}' for ${fn}; its options are ${Object.keys(schema.shape).join(', ')}`);
  }
  if (issue.path.length === 0) throw new TypeError(`Expected an options object for ${fn} but received ${describe(value)}`);
  const key = issue.path[0];
  throw new TypeError(`Expected ${field(schema, key)} for ${String(key)} but received ${describe(issue.input)}`);
}

/** Checks one integer argument; `min` is its lower bound. */
export function checkInt(value: unknown, what: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const kind = min === 0 ? 'non-negative integer' : min === 1 ? 'positive integer' : 'integer';
    throw new TypeError(`Expected ${kind} for ${what} but received ${describe(value)}`);
  }
  return value;
}

/** Checks a size argument: a non-negative integer or an array of them. */
export function checkSize(size: unknown, what = 'size'): number[] {
  if (typeof size === 'number') return [checkInt(size, what, 0)];
  if (!Array.isArray(size)) throw new TypeError(`Expected an array of non-negative integers for ${what} but received ${describe(size)}`);
  return size.map((s, i) => checkInt(s, `${what}[${i}]`, 0));
}

const isOptionsObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A module constructor's arguments as one options object. PyTorch's positional form
 * (`new nn.Conv2d(3, 16, 3, { padding: 1 })`) names the leading values by `names`, in order; an
 * options object alone (`new nn.Conv2d({ inChannels: 3, ... })`) is taken as it is.
 */
export function positionalOptions(args: readonly unknown[], names: readonly string[], fn: string): unknown {
  if (args.length === 0 || (args.length === 1 && (args[0] === undefined || isOptionsObject(args[0])))) return args[0];
  const count = args.findIndex(isOptionsObject);
  const positional = count < 0 ? args : args.slice(0, count);
  const rest = count < 0 ? [] : args.slice(count);
  if (positional.length > names.length || rest.length > 1) {
    throw new TypeError(`${fn} takes at most ${names.length} positional arguments (${names.join(', ')}) and an options object, but received ${args.length} arguments`);
  }
  const options: Record<string, unknown> = { ...(rest[0] as Record<string, unknown> | undefined) };
  positional.forEach((v, i) => {
    if (Object.hasOwn(options, names[i]!)) throw new TypeError(`${fn} received ${names[i]} twice: as positional argument ${i + 1} and in the options`);
    options[names[i]!] = v;
  });
  return options;
}
