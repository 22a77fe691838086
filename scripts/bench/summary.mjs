// scripts/gpu-check.sh's short table: the GPU, the versions both sides ran, each case's ratio.
// Usage: node scripts/bench/summary.mjs OUTDIR (reads env-node.json, env-pytorch.json, bench.jsonl, tests.txt there)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { graphsAgainstEager } from './report.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/bench/summary.mjs OUTDIR');
  process.exit(2);
}
const read = (name) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : null);
const json = (name) => {
  const text = read(name);
  return text ? JSON.parse(text.trim().split('\n').pop()) : null;
};

const node = json('env-node.json');
const py = json('env-pytorch.json');
// cuDNN's integer version: 8907 -> 8.9.7, 91002 -> 9.10.2 (as lib/doctor.ts reads it)
const cudnnText = (v) => (v >= 90000 ? `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}`
  : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`);
const lines = [];
lines.push(`GPU:       ${node?.gpu ?? py?.gpu ?? 'none seen'}`);
if (node) lines.push(`torchnode: libtorch ${node.libtorch}, CUDA ${node.cuda ?? 'none'}, cuDNN ${node.cudnn ? cudnnText(node.cudnn) : 'none'} (${node.found})`);
if (py) lines.push(`PyTorch:   ${py.pytorch}, CUDA ${py.cuda ?? 'none'}, cuDNN ${py.cudnn ? cudnnText(py.cudnn) : 'none'} (${py.python})`);
const tests = read('tests.txt');
if (tests) lines.push(`npm test:  ${tests.trim()}`);

const rows = (read('bench.jsonl') ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
if (rows.length) {
  lines.push('', 'ratio >= 1: torchnode as fast or faster');
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const what = r.ratio === null ? (r.skipped ?? `failed: ${r.error}`)
      : `${r.ratio.toFixed(2)}  (torchnode ${r.torchnode.toPrecision(4)} ${r.unit}, PyTorch ${r.pytorch.toPrecision(4)} ${r.unit})`;
    lines.push(`${r.name.padEnd(width)}  ${what}`);
  }
  for (const g of graphsAgainstEager(rows)) {
    lines.push(`${g.id}: torchnode with graphs / PyTorch eager = ${g.times.toFixed(2)}; PyTorch with graphs / PyTorch eager = ${g.pytorchTimes.toFixed(2)}`);
  }
} else {
  lines.push('', 'no benchmark results');
}
const recipe = read('recipe.json');
if (recipe) {
  try {
    const r = JSON.parse(recipe);
    lines.push('', `CUDA recipe: ${(r.testAccuracy * 100).toFixed(2)}% test accuracy after ${r.epochs} epochs, ${r.trainSeconds.toFixed(1)} s of training, ${Math.round(r.imagesPerSecond)} img/s`);
  } catch {
    lines.push('', `CUDA recipe: no result (${recipe.trim().slice(0, 200)})`);
  }
}
console.log(lines.join('\n'));
