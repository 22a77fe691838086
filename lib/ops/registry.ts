// ATen operators by schema: resolved once, on first use, then called by id through the
// dispatcher. Each reference states the argument names it passes, checked against the
// schema of the libtorch actually loaded (schemas differ between versions).
import { TorchError } from '../errors.js';
import { buildRecord, native } from '../native.js';

export interface OpRef {
  readonly name: string;
  readonly overload: string;
  readonly args: readonly string[];
  id: number;
}

/** A lazily resolved operator: `op('aten::add.Tensor', ['self', 'other', 'alpha'])`. */
export function op(qualified: string, args: readonly string[]): OpRef {
  const dot = qualified.indexOf('.');
  const name = dot < 0 ? qualified : qualified.slice(0, dot);
  const overload = dot < 0 ? '' : qualified.slice(dot + 1);
  return { name, overload, args, id: -1 };
}

let byName: Map<string, string[]> | undefined;

/** 'aten::add' -> its overload names ('' for the default), read once from libtorch's registry. */
export function overloadNames(): Map<string, string[]> {
  if (byName) return byName;
  byName = new Map();
  for (const schema of native.opSchemas()) {
    const m = /^([^(.]+)(?:\.([^(]+))?\(/.exec(schema);
    if (!m) continue;
    const list = byName.get(m[1]!) ?? [];
    list.push(m[2] ?? '');
    byName.set(m[1]!, list);
  }
  return byName;
}

/** The error for an operator (or overload) the loaded libtorch lacks, naming its version. */
export function missingOp(name: string, overload: string): TorchError {
  const names = overloadNames().get(name);
  const detail = names ? `its overloads here: ${names.map((n) => n || 'default').join(', ')}` : 'no operator of that name';
  return new TorchError(`${overload ? `${name}.${overload}` : name} is not in libtorch ${buildRecord.version} (${detail})`);
}

export function resolve(ref: OpRef): number {
  if (native.opSchema(ref.name, ref.overload) === null) throw missingOp(ref.name, ref.overload);
  const info = native.resolveOp(ref.name, ref.overload);
  const actual = info.arguments.map((a) => a.name);
  const matches = ref.args.length <= actual.length && ref.args.every((a, i) => a === actual[i]);
  if (!matches) {
    const full = ref.overload ? `${ref.name}.${ref.overload}` : ref.name;
    throw new TorchError(`${full} in libtorch ${buildRecord.version} takes (${actual.join(', ')}) but torchnode ` +
      `passes (${ref.args.join(', ')})`);
  }
  ref.id = info.id;
  return info.id;
}

// The addon's exports are a dictionary-mode object: a property load there costs on every call.
const call = native.call;

/** Calls an operator; undefined arguments take the schema's defaults. */
export function callOp(ref: OpRef, ...args: unknown[]): unknown {
  return call(ref.id >= 0 ? ref.id : resolve(ref), ...args);
}
