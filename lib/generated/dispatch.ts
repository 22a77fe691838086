// Hand-written: the runtime the generated wrappers (methods.ts, functions.ts, functional.ts) call.
// Each wrapper holds its overloads as compact tables; a call takes the first overload whose
// arguments fit, converts torchnode's names (dtype, device, memory format) and wraps the results.
import { checkDevice } from '../device.js';
import { DTYPES, dtypeCode, dtypeName } from '../dtype.js';
import { describe, TorchError } from '../errors.js';
import { Generator } from '../generator.js';
import { buildRecord, type Handle } from '../native.js';
import { MEMORY_FORMATS } from '../options.js';
import { callOp, op, resolve, type OpRef } from '../ops/registry.js';
import { fromHandle, Tensor } from '../tensor.js';

/** [qualified name, `name:kind[?][=]` per argument (`*` before keyword-only ones), return kinds, in place]. */
export type Row = readonly [string, string, string, 0 | 1];

interface Arg {
  readonly name: string;
  /** camelCase: the key in the options object. */
  readonly key: string;
  readonly kind: string;
  readonly nullable: boolean;
  /** Has a default in the schema. */
  readonly defaulted: boolean;
  readonly kwargOnly: boolean;
}

export interface Overload {
  readonly ref: OpRef;
  readonly qualified: string;
  readonly args: readonly Arg[];
  readonly returns: readonly string[];
  readonly inPlace: boolean;
}

export interface Overloads {
  readonly name: string;
  readonly list: readonly Overload[];
}

// Layout arguments are left to their default (strided, the only layout torchnode makes).
const OMITTED = new Set(['layout']);
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function parse(row: Row): Overload {
  const [qualified, argText, returnText, inPlace] = row;
  const args = argText === '' ? [] : argText.split(' ').map((token): Arg => {
    const kwargOnly = token.startsWith('*');
    const [name, spec] = token.slice(kwargOnly ? 1 : 0).split(':') as [string, string];
    const kind = spec.replace(/[?=]/g, '');
    return { name, key: camel(name), kind, nullable: spec.includes('?'), defaulted: spec.includes('='), kwargOnly };
  });
  return {
    ref: op(qualified, args.map((a) => a.name)), qualified, args,
    returns: returnText === '' ? [] : returnText.split(' '), inPlace: inPlace === 1,
  };
}

/** The overload table of one name. */
export function table(name: string, rows: readonly Row[]): Overloads {
  return { name, list: rows.map(parse) };
}

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);
const every = (v: unknown, test: (e: unknown) => boolean): boolean => Array.isArray(v) && v.every(test);

const FITS: Record<string, (v: unknown) => boolean> = {
  T: (v) => v instanceof Tensor,
  TL: (v) => every(v, (e) => e instanceof Tensor),
  OTL: (v) => every(v, (e) => e === null || e instanceof Tensor),
  I: isInt,
  IL: (v) => isInt(v) || every(v, isInt),
  F: (v) => typeof v === 'number',
  FL: (v) => typeof v === 'number' || every(v, (e) => typeof e === 'number'),
  S: (v) => typeof v === 'number' || typeof v === 'boolean',
  B: (v) => typeof v === 'boolean',
  BL: (v) => every(v, (e) => typeof e === 'boolean'),
  str: (v) => typeof v === 'string',
  dev: (v) => typeof v === 'string',
  dtype: (v) => (DTYPES as readonly unknown[]).includes(v),
  mf: (v) => typeof v === 'string' && Object.hasOwn(MEMORY_FORMATS, v),
  gen: (v) => v instanceof Generator,
};

function fits(a: Arg, v: unknown, strict: boolean): boolean {
  if (v === undefined) return a.defaulted || (a.nullable && !strict);
  if (v === null) return a.nullable;
  return FITS[a.kind]!(v);
}

function convert(a: Arg, v: unknown): unknown {
  if (v === undefined || v === null) return v;
  switch (a.kind) {
    case 'T': return (v as Tensor)._h;
    case 'TL': return (v as Tensor[]).map((t) => t._h);
    case 'OTL': return (v as (Tensor | null)[]).map((t) => (t === null ? null : t._h));
    case 'dtype': return dtypeCode(v, a.key);
    case 'mf': return MEMORY_FORMATS[v as keyof typeof MEMORY_FORMATS];
    case 'dev': return checkDevice(v, a.key);
    case 'gen': return (v as Generator)._h;
    default: return v;
  }
}

const isOptions = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !(v instanceof Generator);

/**
 * The schema-ordered argument list when `given` (plus `self`) fits the overload, else null. `strict`:
 * a nullable argument without a default (sort.stable's `bool? stable`) must be given, as in Python.
 */
function bind(o: Overload, self: Tensor | undefined, given: readonly unknown[], options: Record<string, unknown> | undefined, strict: boolean): unknown[] | null {
  const values: unknown[] = new Array(o.args.length);
  let next = 0;
  let used = 0;
  for (let i = 0; i < o.args.length; i++) {
    const a = o.args[i]!;
    let v: unknown;
    if (i === 0 && self !== undefined) v = self;
    else if (OMITTED.has(a.kind)) v = undefined;
    else if (a.kwargOnly) {
      v = options?.[a.key];
      if (v !== undefined) used++;
    } else v = next < given.length ? given[next++] : undefined;
    if (!fits(a, v, strict)) return null;
    values[i] = v;
  }
  if (next < given.length) return null;
  if (options !== undefined && used !== Object.values(options).filter((v) => v !== undefined).length) return null;
  return values;
}

function resolved(o: Overloads, ov: Overload): OpRef {
  if (ov.ref.id < 0) {
    try {
      resolve(ov.ref);
    } catch (e) {
      throw new TorchError(`${o.name}: ${ov.qualified} cannot be called in libtorch ${buildRecord.version}: ${(e as Error).message}`);
    }
  }
  return ov.ref;
}

function wrap(kind: string, v: unknown): unknown {
  switch (kind) {
    case 'T': return fromHandle(v as Handle);
    case 'TL': return (v as Handle[]).map(fromHandle);
    case 'dtype': return dtypeName(v as number);
    default: return v;
  }
}

const KIND_NAMES: Record<string, string> = {
  T: 'Tensor', TL: 'Tensor[]', OTL: '(Tensor | null)[]', I: 'int', IL: 'int[]', F: 'float', FL: 'float[]', S: 'Scalar',
  B: 'bool', BL: 'bool[]', str: 'string', dev: 'Device', dtype: 'DType', mf: 'MemoryFormat', gen: 'Generator',
};

// The arguments as the caller wrote them: a method's self is the tensor it was called on, a
// function's is `input` (the wrappers' name); an options object shown key by key.
function noFit(o: Overloads, method: boolean, given: readonly unknown[], options: Record<string, unknown> | undefined): never {
  const shownOptions = options === undefined ? [] : [`{ ${Object.entries(options).map(([k, v]) => `${k}: ${describe(v)}`).join(', ')} }`];
  const shown = [...given.map(describe), ...shownOptions].join(', ');
  const sigs = o.list.map((ov) => `${ov.qualified}(${ov.args.filter((a, i) => !OMITTED.has(a.kind) && !(method && i === 0)).map((a) =>
    `${a.kwargOnly ? '{' + a.key + '}' : a.name === 'self' ? 'input' : a.key}${a.defaulted ? '?' : ''}: ${KIND_NAMES[a.kind]}${a.nullable ? ' | null' : ''}`).join(', ')})`);
  throw new TypeError(`Expected arguments fitting one of ${sigs.join(' | ')} for ${o.name} but received (${shown})`);
}

const STRICT_THEN_LOOSE = [true, false] as const;

function call(o: Overloads, self: Tensor | undefined, args: readonly unknown[]): unknown {
  let given = args;
  let options: Record<string, unknown> | undefined;
  if (given.length > 0 && isOptions(given[given.length - 1])) {
    options = given[given.length - 1] as Record<string, unknown>;
    given = given.slice(0, -1);
  }
  // first the overloads the call fits as Python's would (t.sort() is aten::sort, not sort.stable with
  // stable None, which libtorch 1.13 refuses), then those leaving a nullable argument out
  for (const strict of STRICT_THEN_LOOSE) {
    for (const ov of o.list) {
      const values = bind(ov, self, given, options, strict);
      if (values === null) continue;
      const out = callOp(resolved(o, ov), ...values.map((v, i) => convert(ov.args[i]!, v)));
      if (ov.inPlace) return values[0];
      if (ov.returns.length === 1) return wrap(ov.returns[0]!, out);
      if (ov.returns.length === 0) return undefined;
      return (out as unknown[]).map((v, i) => wrap(ov.returns[i]!, v));
    }
  }
  return noFit(o, self !== undefined, given, options);
}

/** Calls a generated torch.* or nn.functional wrapper. */
export function callFunction(o: Overloads, args: readonly unknown[]): unknown {
  return call(o, undefined, args);
}

/** Installs generated methods; `this` is the first (self) argument. */
export function installMethods(proto: object, methods: Record<string, readonly Row[]>): void {
  const p = proto as Record<string, unknown>;
  for (const [name, rows] of Object.entries(methods)) {
    const o = table(name, rows);
    p[name] = function (this: Tensor, ...args: unknown[]) {
      return call(o, this, args);
    };
  }
}
