// Which operators get typed wrappers: PyTorch's public names (Tensor methods, torch.*, nn.functional)
// that are aten operators in both libtorch versions, with every overload the binding can pass.
import { spawnSync } from 'node:child_process';

/** The binding's argument kinds (native/convert.cc specOf), by schema type with `?` removed. */
const KINDS = {
  Tensor: 'T', 'Tensor[]': 'TL', 'Tensor?[]': 'OTL', int: 'I', float: 'F', Scalar: 'S', bool: 'B', str: 'str',
  Device: 'dev', ScalarType: 'dtype', Layout: 'layout', MemoryFormat: 'mf', Generator: 'gen',
  'int[]': 'IL', 'float[]': 'FL', 'bool[]': 'BL',
};

/** The kind of one schema type, or undefined when the binding cannot pass it. */
export function kindOf(type) {
  const nullable = type.endsWith('?');
  const base = (nullable ? type.slice(0, -1) : type).replace(/\[\d+\]$/, '[]');
  const kind = KINDS[base];
  return kind === undefined ? undefined : { kind, nullable };
}

const RETURN_KINDS = { Tensor: 'T', 'Tensor[]': 'TL', int: 'I', float: 'F', bool: 'B', Scalar: 'S', ScalarType: 'dtype', 'int[]': 'IL' };

export const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** Runs schemas.py in one Python; its JSON. */
export function readSchemas(python) {
  const r = spawnSync(python, [new URL('./schemas.py', import.meta.url).pathname], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`codegen: ${python} scripts/codegen/schemas.py failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

function byName(dump) {
  const m = new Map();
  for (const s of dump.schemas) {
    if (!m.has(s.name)) m.set(s.name, []);
    m.get(s.name).push(s);
  }
  return m;
}

/** Why an overload cannot be wrapped, or null. `older` is the same overload in the other version. */
function unsupported(s, older) {
  if (!older) return 'not in both libtorch versions';
  if (!s.dispatcher || !older.dispatcher) return 'TorchScript-only operator in one version (not in its dispatcher)';
  if (s.args.some((a, i) => a.write && !(i === 0 && s.name.endsWith('_')))) return 'writes into an argument (an out= variant, or in place without a trailing _)';
  const types = [...s.args.map((a) => a.type), ...s.returns.map((r) => r.type)];
  if (!types.some((t) => t.startsWith('Tensor'))) return 'TorchScript-only overload (no tensors)';
  for (const a of s.args) {
    const k = kindOf(a.type);
    if (!k) return `argument '${a.name}' of type ${a.type}`;
    if ((k.kind === 'gen' || k.kind === 'layout') && !k.nullable) return `argument '${a.name}' of type ${a.type}`;
  }
  for (const r of s.returns) if (!RETURN_KINDS[r.type]) return `returns ${r.type}`;
  return null;
}

/**
 * Arguments present in both versions: the shorter list when one extends the other with
 * defaulted arguments; null when they disagree.
 */
function commonArgs(a, b) {
  const [short, long] = a.args.length <= b.args.length ? [a, b] : [b, a];
  for (let i = 0; i < short.args.length; i++) {
    const x = short.args[i];
    const y = long.args[i];
    if (x.name !== y.name || kindOf(x.type)?.kind !== kindOf(y.type)?.kind || x.kwargOnly !== y.kwargOnly) return null;
  }
  if (long.args.slice(short.args.length).some((x) => x.default === null)) return null;
  // a default present in only one version stays optional: the loaded libtorch fills its own
  return short.args.map((x, i) => ({ ...x, default: x.default ?? long.args[i].default }));
}

function overloadOf(s, args, loadedVersion) {
  return {
    qualified: s.overload ? `aten::${s.name}.${s.overload}` : `aten::${s.name}`,
    text: s.text,
    args: args.map((a) => ({ name: a.name, type: a.type, ...kindOf(a.type), optional: a.default !== null, kwargOnly: a.kwargOnly, default: a.default })),
    returns: s.returns.map((r) => ({ name: r.name, kind: RETURN_KINDS[r.type] })),
    inPlace: s.name.endsWith('_') && s.args[0]?.write === true,
    version: loadedVersion,
  };
}

/** Every public name in `group` with its wrappable overloads; `skipped` lists the rest with reasons. */
export function select(newer, older) {
  const newOps = byName(newer);
  const oldOps = byName(older);
  const groups = { tensor: [], torch: [], functional: [] };
  const skipped = [];
  for (const group of Object.keys(groups)) {
    const oldPublic = new Set(older.public[group]);
    for (const name of newer.public[group]) {
      const schemas = newOps.get(name);
      if (!schemas) continue;
      if (!oldPublic.has(name) || !oldOps.has(name)) {
        skipped.push({ group, name, reason: `not public in PyTorch ${older.version}` });
        continue;
      }
      const overloads = [];
      const reasons = [];
      for (const s of schemas) {
        const o = oldOps.get(name).find((x) => x.overload === s.overload);
        const why = unsupported(s, o) ?? (o && unsupported(o, s));
        if (why) {
          reasons.push(`${s.overload || '(default)'}: ${why}`);
          continue;
        }
        const args = commonArgs(s, o);
        if (!args) {
          reasons.push(`${s.overload || '(default)'}: arguments differ between versions`);
          continue;
        }
        // a method's overloads are those taking the tensor as `self`
        if (group === 'tensor' && (args[0]?.name !== 'self' || args[0].type !== 'Tensor' || args[0].kwargOnly)) {
          reasons.push(`${s.overload || '(default)'}: does not take the tensor as its first argument, self`);
          continue;
        }
        overloads.push(overloadOf(s, args, newer.version));
      }
      if (overloads.length === 0) skipped.push({ group, name, reason: reasons.join('; ') || 'no overload takes the tensor as self' });
      else groups[group].push({ name, camel: camel(name), overloads });
    }
  }
  return { groups, skipped };
}
