// `npm run coverage`: how much of PyTorch's public operator surface torchnode has. The names are
// PyTorch's torch.Tensor methods and torch.* functions that are aten operators (asked of the Python
// whose libtorch torchnode loads, or $PYTHON); what torchnode has is read from the built dist/ at
// runtime. Missing names are listed with the reason codegen recorded. `--json` prints it as JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const torch = await import(path.join(root, 'dist', 'index.js'));
const python = process.env.PYTHON || torch.buildInfo.python || 'python3';
const r = spawnSync(python, [path.join(root, 'scripts', 'codegen', 'schemas.py')], { encoding: 'utf8', maxBuffer: 1 << 28 });
if (r.status !== 0) {
  console.error(`coverage: ${python} scripts/codegen/schemas.py failed: ${r.stderr || r.error}`);
  process.exit(1);
}
const dump = JSON.parse(r.stdout);
const aten = new Set(dump.schemas.map((s) => s.name));
const manifest = JSON.parse(readFileSync(path.join(root, 'lib', 'generated', 'manifest.json'), 'utf8'));
const why = new Map(manifest.skipped.map((s) => [`${s.group}:${s.name}`, s.reason]));
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

const { op, resolve } = await import(path.join(root, 'dist', 'ops', 'registry.js'));

// a generated name counts when one of its overloads resolves in the loaded libtorch
const generated = new Map();
for (const group of ['tensor', 'torch', 'functional']) {
  for (const e of manifest[group]) generated.set(`${group}:${e.name}`, e.overloads);
}
function resolves(group, name) {
  const overloads = generated.get(`${group}:${name}`);
  if (!overloads) return true;
  const errors = [];
  for (const o of overloads) {
    try {
      resolve(op(o.qualified, o.args.map((a) => a.name)));
      return true;
    } catch (e) {
      errors.push(e.message.split('\n')[0]);
    }
  }
  why.set(`${group}:${name}`, `no overload resolves in libtorch ${torch.buildInfo.version}: ${errors.join('; ')}`);
  return false;
}

const has = {
  tensor: (name) => typeof torch.Tensor.prototype[camel(name)] === 'function' && resolves('tensor', name),
  torch: (name) => typeof torch[camel(name)] === 'function' && resolves('torch', name),
  functional: (name) => typeof torch.nn.functional[camel(name)] === 'function' && resolves('functional', name),
};

const report = { pytorch: dump.version, libtorch: torch.buildInfo.version, groups: {} };
let total = 0;
let covered = 0;
for (const group of ['tensor', 'torch', 'functional']) {
  const names = dump.public[group].filter((n) => aten.has(n));
  const missing = names.filter((n) => !has[group](n)).map((n) => ({ name: n, reason: why.get(`${group}:${n}`) ?? 'not generated' }));
  report.groups[group] = { total: names.length, covered: names.length - missing.length, missing };
  // the goal counts torch.Tensor methods and torch.* functions; nn.functional is reported beside them
  if (group !== 'functional') {
    total += names.length;
    covered += names.length - missing.length;
  }
}
report.percent = Math.round((1000 * covered) / total) / 10;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 1));
} else {
  const label = { tensor: 'torch.Tensor methods', torch: 'torch.* functions', functional: 'torch.nn.functional' };
  console.log(`coverage against PyTorch ${report.pytorch} (torchnode on libtorch ${report.libtorch}):`);
  for (const [group, g] of Object.entries(report.groups)) {
    console.log(`  ${label[group]}: ${g.covered} of ${g.total} (${Math.round((1000 * g.covered) / g.total) / 10}%)`);
  }
  console.log(`  methods and functions: ${covered} of ${total} = ${report.percent}%`);
  for (const [group, g] of Object.entries(report.groups)) {
    if (g.missing.length === 0) continue;
    console.log(`\nmissing ${label[group]}:`);
    for (const m of g.missing) console.log(`  ${m.name}: ${m.reason}`);
  }
}
