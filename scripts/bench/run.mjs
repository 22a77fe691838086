// `npm run bench`: torchnode against PyTorch on the same libtorch, case by case, each side in
// fresh processes run alternately (A B A B ...), medians over the runs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { commands, findPython, root, runProcess } from './spawn.mjs';
import { header, jsonLine, markdownTable, ratioOf, targets, textTable } from './report.mjs';
import { SUITE } from './suite.mjs';

const USAGE = `Usage: npm run bench -- [options]

  --quick          a subset that takes about a minute
  --epoch          add one CIFAR-10 epoch of the CPU recipe per side (about 8 minutes each)
  --json           one JSON object per case (name, unit, torchnode, pytorch, ratio, ...)
  --cuda           only the CUDA cases
  --only=ID,...    only these cases (ids: ${SUITE.map((c) => c.id).join(', ')})
  --pairs=N        N runs of each side instead of each case's own count
  --python=PATH    the PyTorch side's interpreter (default: $PYTHON, the addon's python3, /usr/bin/python3)
  --write-docs     also write docs/benchmarks.md from this run`;

function parse(argv) {
  const o = { quick: false, cuda: false, epoch: false, json: false, writeDocs: false, only: null, pairs: null, python: undefined };
  for (const a of argv) {
    const [key, value] = a.split(/=(.*)/s);
    if (key === '--quick') o.quick = true;
    else if (key === '--cuda') o.cuda = true;
    else if (key === '--epoch') o.epoch = true;
    else if (key === '--json') o.json = true;
    else if (key === '--write-docs') o.writeDocs = true;
    else if (key === '--only' && value) o.only = value.split(',');
    else if (key === '--pairs' && Number(value) >= 1) o.pairs = Number(value);
    else if (key === '--python' && value) o.python = value;
    else if (key === '--help' || key === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`bench: unknown option ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (o.only) {
    const unknown = o.only.filter((id) => !SUITE.some((c) => c.id === id));
    if (unknown.length) {
      console.error(`bench: unknown case ${unknown.join(', ')}\n${USAGE}`);
      process.exit(2);
    }
  }
  return o;
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

function cifarDir() {
  const dir = process.env.CIFAR10_DIR ?? path.join(process.env.TORCHNODE_HOME ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'torchnode'), 'cifar10', 'cifar-10-batches-bin');
  return existsSync(path.join(dir, 'data_batch_1.bin')) && existsSync(path.join(dir, 'test_batch.bin')) ? dir : null;
}

/** Why a selected case cannot run here, or null. */
function whySkipped(c, env, o) {
  if (c.cuda && !(env.node.cudaAvailable && env.pytorch.cudaAvailable)) {
    return `no CUDA: ${[env.node.whyNoCuda && `torchnode: ${env.node.whyNoCuda}`, env.pytorch.whyNoCuda && `PyTorch: ${env.pytorch.whyNoCuda}`].filter(Boolean).join('; ')}`;
  }
  if (c.epoch && !o.epoch) return 'opt-in: add --epoch';
  if (c.epoch && !cifarDir()) return 'CIFAR-10 binary files not found: run `npx torchnode data` or set CIFAR10_DIR';
  return null;
}

/** One run of one side: its value (a rate, a time, or the wall time to the result line). */
async function runSide(c, side, args, python) {
  if (c.epoch) return runEpoch(side, python);
  const [cmd, argv] = commands(c.script, args, python)[side];
  const { result, untilResult } = await runProcess(cmd, argv);
  return c.wall ? untilResult : result.value;
}

/** The CPU recipe for one epoch: torchnode's CLI and scripts/bench/cifar_recipe.py, both reading the same files. */
async function runEpoch(side, python) {
  const dir = cifarDir();
  if (side === 'pytorch') {
    const { result } = await runProcess(python, [path.join(root, 'scripts', 'bench', 'cifar_recipe.py'), '--data-dir', dir, '--epochs', '1']);
    return result.imagesPerSecond;
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'torchnode-bench-'));
  try {
    const { result } = await runProcess(process.execPath, [path.join(root, 'dist', 'cli.js'), 'train', '--model', 'resnet20', '--epochs', '1',
      '--device', 'cpu', '--data-dir', dir, '--out', out, '--json', '--quiet']);
    return result.imagesPerSecond;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function runCase(c, o, python) {
  const args = { ...c.args, ...(o.quick && c.quick?.args) };
  const pairs = o.pairs ?? (o.quick ? c.quick.pairs : c.pairs);
  const values = { torchnode: [], pytorch: [] };
  for (let i = 0; i < pairs; i++) {
    for (const side of ['torchnode', 'pytorch']) values[side].push(await runSide(c, side, args, python));
  }
  const torchnode = median(values.torchnode);
  const pytorch = median(values.pytorch);
  return { case: c, torchnode, pytorch, ratio: ratioOf(c, torchnode, pytorch), runs: pairs, values };
}

function docsPage(o, env, python, results, started) {
  const n = env.node;
  const flags = ['--write-docs', ...(o.epoch ? ['--epoch'] : []), ...(o.quick ? ['--quick'] : [])].join(' ');
  return `# Benchmarks: torchnode against PyTorch on the same libtorch

Generated by \`npm run bench -- ${flags}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; do not edit by hand.

- Machine: ${n.cpu}, ${n.cores} cores, ${n.memoryGiB} GiB, ${os.type()} ${os.release()}
${header(env, python).map((l) => `- ${l.replace(/^(\w+):\s+/, '$1: ')}`).join('\n')}

Each side runs in fresh processes, alternately (torchnode, PyTorch, torchnode, ...), with the same
settings (threads = all cores, float32, contiguous memory format unless stated, seed 0, warm-up
before timing); the table gives medians over the runs. **ratio >= 1 means torchnode is as fast
or faster**: PyTorch's time / torchnode's for times (us, s), torchnode's rate / PyTorch's for img/s.
Per-op cases free every result: torchnode calls \`dispose()\` on it inside one \`torch.tidy\` per
round of 100,000 calls; Python frees it by reference counting.

${markdownTable(results)}

Targets:

${targets(results).map((l) => `    ${l}`).join('\n')}

What each case does: \`scripts/bench/cases/<script>.mjs\` and \`.py\`, listed in \`scripts/bench/suite.mjs\`.
`;
}

async function main() {
  const o = parse(process.argv.slice(2));
  if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  const record = JSON.parse(readFileSync(path.join(root, 'build', 'Release', 'torchnode-build.json'), 'utf8'));
  const python = findPython(record, o.python);
  const started = new Date();
  const env = {
    node: (await runProcess(process.execPath, [path.join(root, 'scripts', 'bench', 'cases', 'env.mjs')])).result,
    pytorch: (await runProcess(python, [path.join(root, 'scripts', 'bench', 'cases', 'env.py')])).result,
  };
  const lines = [...header(env, python), 'ratio >= 1: torchnode as fast or faster (times: PyTorch/torchnode; rates: torchnode/PyTorch)'];
  if (o.json) log(lines.join('\n       '));
  else console.log(`${lines.join('\n')}\n`);

  const selected = SUITE.filter((c) => (o.only ? o.only.includes(c.id) : o.cuda ? c.cuda : !o.quick || c.quick));
  const results = [];
  for (const c of selected) {
    const skipped = whySkipped(c, env, o);
    let r;
    if (skipped) {
      r = { case: c, skipped };
      log(`${c.id}: skipped (${skipped})`);
    } else {
      log(`${c.id}: running`);
      try {
        r = await runCase(c, o, python);
        log(`${c.id}: torchnode ${r.values.torchnode.map((v) => v.toPrecision(4)).join(' ')}; PyTorch ${r.values.pytorch.map((v) => v.toPrecision(4)).join(' ')}; ratio ${r.ratio.toFixed(2)}`);
      } catch (e) {
        r = { case: c, error: e.message };
        log(`${c.id}: ${e.message}`);
      }
    }
    results.push(r);
    if (o.json) console.log(jsonLine(r));
  }
  if (!o.json) console.log(`${textTable(results)}\n\ntargets:\n${targets(results).map((l) => `  ${l}`).join('\n')}`);
  if (o.writeDocs) {
    mkdirSync(path.join(root, 'docs'), { recursive: true });
    writeFileSync(path.join(root, 'docs', 'benchmarks.md'), docsPage(o, env, python, results, started));
    log('wrote docs/benchmarks.md');
  }
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
