// torch.ops: every operator the loaded libtorch registers, called by schema as PyTorch's torch.ops is.
import { DTYPES, dtypeCode, dtypeName, type DType } from '../dtype.js';
import { checkDevice } from '../device.js';
import { describe } from '../errors.js';
import { Generator } from '../generator.js';
import { native, type Handle, type OpSchemaInfo } from '../native.js';
import { MEMORY_FORMATS } from '../options.js';
import { fromHandle, Tensor } from '../tensor.js';
import { missingOp, overloadNames } from './registry.js';

/** What an operator returns: a Tensor, a number, a boolean, a dtype name, null, or an array of them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema, read at run time, decides
export type OpResult = any;

/**
 * One overload, as PyTorch's `OpOverload`: `torch.ops.aten.add.Tensor(a, b, { alpha: 2 })`.
 * Positional arguments in schema order, then optionally one plain object of keyword arguments
 * named as in the schema, in snake_case or camelCase (`{ keepdim: true }`, `{ memoryFormat: 'channelsLast' }`).
 */
export interface OpOverload {
  (...args: unknown[]): OpResult;
  /** The schema as PyTorch prints it. */
  readonly schema: string;
  /** 'aten::add.Tensor'. */
  readonly qualifiedName: string;
}

/**
 * All overloads of one name, as PyTorch's `OpOverloadPacket`: calling it picks the first overload
 * whose schema the arguments fit (the default overload first, out= variants last); `.default` is
 * the overload with no name.
 */
export type OpPacket = {
  (...args: unknown[]): OpResult;
  /** 'aten::add'. */
  readonly qualifiedName: string;
  /** The overload names ('default' for the unnamed one). */
  overloads(): string[];
} & { readonly [overload: string]: OpOverload };

/** One namespace of operators: `torch.ops.aten`, `torch.ops.prims`, ... */
export type OpNamespace = { readonly [name: string]: OpPacket };

interface Overload {
  qualified: string;
  info: OpSchemaInfo;
  id: number;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// Why a value cannot be passed as `type` ('' when it can); `type` as the schema prints it.
function mismatch(type: string, v: unknown): string {
  if (type.endsWith('?')) return v === null || v === undefined ? '' : mismatch(type.slice(0, -1), v);
  const list = /^(.*)\[\d*\]$/.exec(type);
  if (list) {
    const elem = list[1]!;
    // a single number stands for a whole int or float list, as in PyTorch (stride=2)
    if ((elem === 'int' || elem === 'SymInt' || elem === 'float') && typeof v === 'number') return mismatch(elem, v);
    if (!Array.isArray(v)) return `an array of ${plural(elem)}`;
    for (const e of v) if (mismatch(elem, e)) return `an array of ${plural(elem)}`;
    return '';
  }
  const bad = !fits(type, v);
  return bad ? expected(type) : '';
}

function fits(type: string, v: unknown): boolean {
  switch (type) {
    case 'Tensor': return v instanceof Tensor;
    case 'int': case 'SymInt': return typeof v === 'number' && Number.isSafeInteger(v);
    case 'float': return typeof v === 'number';
    case 'Scalar': return typeof v === 'number' || typeof v === 'boolean';
    case 'bool': case 'SymBool': return typeof v === 'boolean';
    case 'str': return typeof v === 'string';
    case 'Device': return typeof v === 'string';
    case 'Generator': return v instanceof Generator;
    case 'ScalarType': return typeof v === 'string' && (DTYPES as readonly string[]).includes(v);
    case 'MemoryFormat': return typeof v === 'string' && v in MEMORY_FORMATS;
    case 'Layout': return v === 'strided';
    default: return false;
  }
}

const PASSABLE = new Set(['Tensor', 'int', 'SymInt', 'float', 'Scalar', 'bool', 'SymBool', 'str', 'Device', 'Generator',
  'ScalarType', 'MemoryFormat', 'Layout']);
const LISTS = new Set(['Tensor', 'Tensor?', 'int', 'SymInt', 'float', 'bool']);

// The types the addon converts (see native/convert.cc).
function passable(type: string): boolean {
  const base = type.replace(/\?$/, '');
  const list = /^(.*)\[\d*\]$/.exec(base);
  return list ? LISTS.has(list[1]!) : PASSABLE.has(base);
}

function plural(elem: string): string {
  const names: Record<string, string> = { 'Tensor': 'Tensors', 'Tensor?': 'Tensors or nulls', 'int': 'integers', 'SymInt': 'integers',
    'float': 'numbers', 'bool': 'booleans' };
  return names[elem] ?? `${elem} values`;
}

function expected(type: string): string {
  switch (type) {
    case 'Tensor': return 'a Tensor';
    case 'int': case 'SymInt': return 'an integer';
    case 'float': return 'a number';
    case 'Scalar': return 'a number or boolean';
    case 'bool': case 'SymBool': return 'a boolean';
    case 'str': return 'a string';
    case 'Device': return "a device ('cpu', 'cuda', 'cuda:N')";
    case 'Generator': return 'a torch.Generator';
    case 'ScalarType': return `a dtype (${DTYPES.join(', ')})`;
    case 'MemoryFormat': return `a memory format (${Object.keys(MEMORY_FORMATS).join(', ')})`;
    case 'Layout': return "a layout ('strided')";
    default: return `a ${type}`;
  }
}

// A checked value as the addon's converters take it.
function toNative(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (v instanceof Tensor) return v._h;
  if (v instanceof Generator) return v._h;
  if (Array.isArray(v)) return v.map((e) => toNative(type.replace(/\[\d*\]\??$/, ''), e));
  const base = type.replace(/\?$/, '');
  if (base === 'ScalarType') return dtypeCode(v);
  if (base === 'MemoryFormat') return MEMORY_FORMATS[v as keyof typeof MEMORY_FORMATS];
  if (base === 'Layout') return 0;
  if (base === 'Device') return checkDevice(v);
  return v;
}

const isOptions = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !(v instanceof Generator) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

// The arguments in schema order, or the reason they do not fit this overload.
function bind(o: Overload, args: unknown[]): { values: unknown[] } | { reason: string } {
  const schemaArgs = o.info.arguments;
  const kwargs = args.length > 0 && isOptions(args[args.length - 1]) ? (args[args.length - 1] as Record<string, unknown>) : {};
  const positional = kwargs === args[args.length - 1] ? args.slice(0, -1) : args;
  const maxPositional = schemaArgs.filter((a) => !a.kwargOnly).length;
  if (positional.length > maxPositional) {
    return { reason: `takes ${maxPositional} positional argument(s) but received ${positional.length}` };
  }
  const values: unknown[] = schemaArgs.map(() => undefined);
  const given = schemaArgs.map((_, i) => i < positional.length);
  positional.forEach((v, i) => (values[i] = v));
  for (const [key, v] of Object.entries(kwargs)) {
    const i = schemaArgs.findIndex((a) => a.name === key || a.name === snake(key));
    if (i < 0) return { reason: `has no argument '${key}' (its arguments: ${schemaArgs.map((a) => a.name).join(', ')})` };
    if (given[i]) return { reason: `received argument '${schemaArgs[i]!.name}' both by position and by name` };
    values[i] = v;
    given[i] = v !== undefined;
  }
  for (let i = 0; i < schemaArgs.length; i++) {
    const a = schemaArgs[i]!;
    const v = values[i];
    if (v === undefined && (a.hasDefault || a.type.endsWith('?'))) continue;
    if (v === undefined) return { reason: `missing required argument '${a.name}' (${a.type})` };
    if (!passable(a.type)) return { reason: `argument '${a.name}' has type ${a.type}, which torchnode cannot pass` };
    const why = mismatch(a.type, v);
    if (why) return { reason: `expected ${why} for argument '${a.name}' but received ${describe(v)}` };
  }
  return { values: values.map((v, i) => toNative(schemaArgs[i]!.type, v)) };
}

function fromNative(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const base = type.replace(/\?$/, '');
  if (base === 'Tensor') return fromHandle(v as Handle);
  if (/^Tensor\??\[\]$/.test(base)) return (v as (Handle | null)[]).map((h) => (h === null ? null : fromHandle(h)));
  if (base === 'ScalarType') return dtypeName(v as number) satisfies DType;
  return v;
}

function call(o: Overload, args: unknown[], values: unknown[]): OpResult {
  if (o.id < 0) o.id = native.resolveOp(...split(o.qualified)).id;
  const out = native.call(o.id, ...values);
  const returns = o.info.returns;
  // in-place and out= results are the tensors passed in, as in PyTorch
  const result = (i: number, v: unknown): unknown => (returns[i]!.aliasOf >= 0 ? boundArg(o, args, returns[i]!.aliasOf) : fromNative(returns[i]!.type, v));
  if (returns.length === 0) return undefined;
  if (returns.length === 1) return result(0, out);
  return (out as unknown[]).map((v, i) => result(i, v));
}

// The JS value bound to schema argument `index` (the Tensor an in-place result is).
function boundArg(o: Overload, args: unknown[], index: number): unknown {
  const a = o.info.arguments[index]!;
  const last = args[args.length - 1];
  if (isOptions(last) && (a.name in last || camel(a.name) in last)) return last[a.name] ?? last[camel(a.name)];
  return args[index];
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function split(qualified: string): [string, string] {
  const dot = qualified.indexOf('.');
  return dot < 0 ? [qualified, ''] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
}

const overloadCache = new Map<string, Overload>();

function overload(name: string, overloadName: string): Overload {
  const qualified = overloadName ? `${name}.${overloadName}` : name;
  let o = overloadCache.get(qualified);
  if (!o) {
    const info = native.opSchema(name, overloadName);
    if (!info) throw missingOp(name, overloadName);
    o = { qualified, info, id: -1 };
    overloadCache.set(qualified, o);
  }
  return o;
}

function makeOverload(name: string, overloadName: string): OpOverload {
  const o = overload(name, overloadName);
  const fn = (...args: unknown[]): OpResult => {
    const bound = bind(o, args);
    if ('reason' in bound) throw new TypeError(`${o.qualified}: ${bound.reason}`);
    return call(o, args, bound.values);
  };
  Object.defineProperties(fn, {
    schema: { value: o.info.schema, enumerable: true },
    qualifiedName: { value: o.qualified, enumerable: true },
    name: { value: o.qualified },
  });
  return fn as OpOverload;
}

// Default first, out= variants (which write an argument) last, the rest in name order.
function rank(o: Overload, name: string): number {
  if (o.qualified === name) return 0;
  return o.info.arguments.some((a) => a.writes && a.kwargOnly) ? 2 : 1;
}

function makePacket(name: string, names: string[]): OpPacket {
  const overloads = new Map<string, OpOverload>();
  const get = (n: string): OpOverload => {
    let f = overloads.get(n);
    if (!f) overloads.set(n, (f = makeOverload(name, n)));
    return f;
  };
  let sorted: Overload[] | undefined;
  const ordered = (): Overload[] => (sorted ??=
    names.map((n) => overload(name, n)).sort((a, b) => rank(a, name) - rank(b, name) || a.qualified.localeCompare(b.qualified)));
  const resolveAndCall = (...args: unknown[]): OpResult => {
    const reasons: string[] = [];
    for (const o of ordered()) {
      const bound = bind(o, args);
      if ('values' in bound) return call(o, args, bound.values);
      reasons.push(`  ${o.info.schema}: ${bound.reason}`);
    }
    throw new TypeError(`${name}: no overload fits the arguments (${args.map(describe).join(', ')}):\n${reasons.join('\n')}`);
  };
  const target = Object.defineProperties(resolveAndCall, {
    name: { value: name },
    qualifiedName: { value: name },
    overloads: { value: (): string[] => names.map((n) => n || 'default') },
  });
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'symbol' || key === 'then') return Reflect.get(t, key, receiver);
      if (key === 'overloads' || key === 'qualifiedName' || key in Function.prototype) return Reflect.get(t, key, receiver);
      if (key === 'default' && names.includes('')) return get('');
      if (names.includes(key)) return get(key);
      throw missingOp(name, key);
    },
  }) as unknown as OpPacket;
}

function makeNamespace(ns: string): OpNamespace {
  const packets = new Map<string, OpPacket>();
  return new Proxy({} as OpNamespace, {
    get(_, key) {
      if (typeof key === 'symbol' || key === 'then') return undefined;
      let p = packets.get(key);
      if (p) return p;
      // PyTorch's snake_case names, or their camelCase spelling
      const name = [`${ns}::${key}`, `${ns}::${snake(key)}`].find((n) => overloadNames().has(n));
      if (!name) throw missingOp(`${ns}::${key}`, '');
      p = makePacket(name, overloadNames().get(name)!);
      packets.set(key, p);
      return p;
    },
    has: (_, key) => typeof key === 'string' && (overloadNames().has(`${ns}::${key}`) || overloadNames().has(`${ns}::${snake(key)}`)),
    ownKeys: () => [...overloadNames().keys()].filter((n) => n.startsWith(`${ns}::`)).map((n) => n.slice(ns.length + 2)),
    getOwnPropertyDescriptor: (t, key) => (typeof key === 'string' && overloadNames().has(`${ns}::${key}`)
      ? { configurable: true, enumerable: true, get: () => (t as Record<string, unknown>)[key] } : undefined),
  });
}

const namespaces = new Map<string, OpNamespace>();

/**
 * Every operator the loaded libtorch registers, by namespace, as PyTorch's `torch.ops`:
 * `torch.ops.aten.topk(x, 5)` (the overload the arguments fit), `torch.ops.aten.add.Tensor(a, b)`
 * (one overload, PyTorch's names). Arguments are checked against the schema: positional, then an
 * optional object of keyword arguments by schema name (snake_case or camelCase). Tensors come
 * back as `Tensor`, several results and lists as arrays, dtypes as names; an in-place or out=
 * result is the tensor passed in. A name this libtorch lacks throws a TorchError naming it.
 *
 * @example
 * const [values, indices] = torch.ops.aten.topk(logits, 5);
 * const y = torch.ops.aten.add.Tensor(a, b, { alpha: 2 });
 * const z = torch.ops.aten.sum(x, [1], { keepdim: true });
 */
export const ops: { readonly aten: OpNamespace; readonly [namespace: string]: OpNamespace } = new Proxy({} as { aten: OpNamespace }, {
  get(_, key) {
    if (typeof key === 'symbol' || key === 'then') return undefined;
    let ns = namespaces.get(key);
    if (!ns) namespaces.set(key, (ns = makeNamespace(key)));
    return ns;
  },
});
