// `npm run references [-- DIR]`: regenerates the test fixtures with the PyTorch whose libtorch
// torchnode was built against ($PYTHON, else the build record's python), so either libtorch
// (Debian's 1.13 or a PyTorch 2.x from pip) can make them. Each file records the version.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.argv[2] ?? path.join(root, 'test', 'fixtures');
let record;
try {
  record = JSON.parse(readFileSync(path.join(root, 'build', 'Release', 'torchnode-build.json'), 'utf8'));
} catch {
  console.error('references: build/Release/torchnode-build.json is missing: build torchnode first (npm run build:native)');
  process.exit(1);
}
const python = process.env.PYTHON || record.python;
if (!python) {
  console.error(`references: no Python runs libtorch ${record.version} (${record.detail}); set PYTHON to one whose torch does`);
  process.exit(1);
}
for (const script of ['make_references.py', 'make_optim_references.py', 'make_generator_references.py', 'make_ops_public_references.py', 'make_nn_references.py']) {
  console.log(`references: ${python} ${script} ${out}`);
  const r = spawnSync(python, [path.join(root, 'scripts', 'references', script), out], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// the PyTorch original of the ported example prints its own reference
console.log(`references: ${python} examples/ported/train.py --json > ${path.join(out, 'ported.json')}`);
const ported = spawnSync(python, [path.join(root, 'examples', 'ported', 'train.py'), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (ported.status !== 0) process.exit(ported.status ?? 1);
writeFileSync(path.join(out, 'ported.json'), ported.stdout);
