// `npm run bench`: torchnode against PyTorch on the same libtorch, case by case, each side in
// fresh processes run alternately (A B A B ...), medians over the runs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { watchLoad } from './load.mjs';
import { lockstep } from './lockstep.mjs';
import { createRequire } from 'node:module';

import { caseCommands, findPython, root, runProcess, setNodeFlags } from './spawn.mjs';
import { docsPage, keptRuns, withReadmeTargets } from './docs-page.mjs';
import { header, jsonLine, loadText, ratioOf, skipNotes, targets, textTable } from './report.mjs';
import { SUITE } from './suite.mjs';

const USAGE = `Usage: npm run bench -- [options]

  --quick          a subset that takes about a minute
  --epoch          add one CIFAR-10 epoch of the CPU recipe per side (about 8 minutes each)
  --json           one JSON object per case (name, unit, torchnode, pytorch, ratio, ...)
  --cuda           only the CUDA cases
  --only=ID,...    only these cases (ids: ${SUITE.map((c) => c.id).join(', ')})
  --pairs=N        N process pairs per case instead of each case's own count
  --python=PATH    the PyTorch side's interpreter (default: $PYTHON, the addon's python3, /usr/bin/python3)
  --write-docs     also keep this run in docs/benchmarks-cpu-<libtorch major.minor>.json (-cuda- with
                   --cuda) and rewrite docs/benchmarks.md from the kept runs
  --render-docs    only rewrite docs/benchmarks.md from the kept runs
  --node-flags=F   node's own flags for the torchnode side (comma-separated), e.g. --single-threaded`;

function parse(argv) {
  const o = { quick: false, cuda: false, epoch: false, json: false, writeDocs: false, only: null, pairs: null, python: undefined };
  for (const a of argv) {
    const [key, value] = a.split(/=(.*)/s);
    if (key === '--quick') o.quick = true;
    else if (key === '--cuda') o.cuda = true;
    else if (key === '--epoch') o.epoch = true;
    else if (key === '--json') o.json = true;
    else if (key === '--write-docs') o.writeDocs = true;
    else if (key === '--render-docs') o.renderDocs = true;
    else if (key === '--node-flags') setNodeFlags((value ?? '').split(',').filter(Boolean));
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

// The inference-peer cases' network, inputs and ONNX file (prepare_inference.py), made once a run.
const prepared = { dir: null, batches: new Map() };
process.on('exit', () => { if (prepared.dir) rmSync(prepared.dir, { recursive: true, force: true }); });

/** The folder with batch `batch`'s files; `onnx` is null (with `why`) when ONNX could not be exported. */
async function prepareInference(python, batch) {
  prepared.dir ??= mkdtempSync(path.join(os.tmpdir(), 'torchnode-bench-infer-'));
  if (!prepared.batches.has(batch)) {
    const { result } = await runProcess(python, [path.join(root, 'scripts', 'bench', 'cases', 'prepare_inference.py'), `--dir=${prepared.dir}`, `--batch=${batch}`],
      { cwd: path.join(root, 'scripts', 'bench', 'cases') });
    prepared.batches.set(batch, result);
  }
  return { dir: prepared.dir, ...prepared.batches.get(batch) };
}

const hasOnnxRuntime = () => {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
};

/** Why a selected case cannot run here, or null. */
function whySkipped(c, env, o) {
  if (c.peer === 'onnxruntime-node' && !hasOnnxRuntime()) return { short: 'no onnxruntime-node', why: 'onnxruntime-node is not installed (a devDependency: npm install)' };
  if (c.cuda && !(env.node.cudaAvailable && env.pytorch.cudaAvailable)) {
    const why = [env.node.whyNoCuda && `torchnode: ${env.node.whyNoCuda}`, env.pytorch.whyNoCuda && `PyTorch: ${env.pytorch.whyNoCuda}`];
    return { short: 'no CUDA', why: `CUDA cases skipped: ${why.filter(Boolean).join('; ')}` };
  }
  if (c.epoch && !o.epoch) return { short: 'opt-in', why: 'the CIFAR-10 epoch runs only with --epoch (about 8 minutes a side)' };
  if (c.epoch && !cifarDir()) return { short: 'no data', why: 'CIFAR-10 binary files not found: run `npx torchnode data` or set CIFAR10_DIR' };
  return null;
}

/** One fresh process of one side: its value (a rate, or the wall time to its result line). */
async function runSide(c, side, args, python) {
  if (c.epoch) return runEpoch(side, python);
  const [cmd, argv] = caseCommands(c, args, python)[side];
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

/** The flags a case runs with in this mode. */
const argsOf = (c, o) => ({ ...c.args, ...(o.quick && c.quick?.args) });

async function runCase(c, o, python) {
  const args = argsOf(c, o);
  if (c.prepare) {
    const p = await prepareInference(python, args.batch);
    if (c.peer === 'onnxruntime-node' && !p.onnx) return { case: c, skipped: 'no onnx', why: p.why };
    args.dir = p.dir;
  }
  const mode = o.quick && c.quick ? { ...c, ...c.quick } : c;
  const processes = o.pairs ?? mode.processes;
  const load = watchLoad();
  let values;
  if (c.wall || c.epoch) {
    values = { torchnode: [], pytorch: [] };
    for (let i = 0; i < processes; i++) {
      for (const side of ['torchnode', 'pytorch']) values[side].push(await runSide(c, side, args, python));
    }
  } else {
    values = await lockstep({ commands: caseCommands(c, args, python), processes, rounds: mode.rounds });
  }
  // each round against the other side's round next to it in time: a drifting machine cancels out
  const ratios = values.torchnode.map((v, i) => ratioOf(c, v, values.pytorch[i]));
  const diffs = values.ready && Object.fromEntries(Object.entries(values.ready).map(([side, lines]) => [side, Math.max(...lines.map((l) => l.maxAbsDiff ?? NaN))]));
  return { case: c, torchnode: median(values.torchnode), pytorch: median(values.pytorch), ratio: median(ratios),
    runs: values.torchnode.length, values, otherLoad: load.stop(), ...(c.prepare && diffs && { maxAbsDiff: diffs }) };
}

/** The file a run is kept in: one per kind (cpu, cuda) and libtorch major.minor. */
const keptFile = (kind, libtorch) => `benchmarks-${kind}-${String(libtorch).split('.').slice(0, 2).join('.')}.json`;

/** docs/benchmarks.md and README's list of targets from every kept run. */
function writeDocs() {
  const runs = keptRuns(path.join(root, 'docs'));
  if (runs.length === 0) throw new Error('no kept runs in docs/ (benchmarks-cpu-*.json, benchmarks-cuda-*.json): run with --write-docs');
  writeFileSync(path.join(root, 'docs', 'benchmarks.md'), docsPage(runs));
  const readme = path.join(root, 'README.md');
  writeFileSync(readme, withReadmeTargets(readFileSync(readme, 'utf8'), runs));
  log('wrote docs/benchmarks.md and the targets in README.md');
}

async function main() {
  const o = parse(process.argv.slice(2));
  if (o.renderDocs) {
    writeDocs();
    return;
  }
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

  const selected = SUITE.filter((c) => (o.only ? o.only.includes(c.id) : o.cuda ? c.cuda : !o.quick || c.quick))
    .map((c) => ({ ...c, name: typeof c.name === 'function' ? c.name(argsOf(c, o)) : c.name }));
  const results = [];
  for (const c of selected) {
    const skipped = whySkipped(c, env, o);
    let r;
    if (skipped) {
      r = { case: c, skipped: skipped.short, why: skipped.why };
      log(`${c.id}: skipped (${skipped.why})`);
    } else {
      log(`${c.id}: running`);
      try {
        r = await runCase(c, o, python);
        if (r.skipped) log(`${c.id}: skipped (${r.why})`);
        else {
          if (r.maxAbsDiff) log(`${c.id}: max |logits - PyTorch eager's| before timing: torchnode ${r.maxAbsDiff.torchnode.toExponential(2)}, ${c.peer} ${r.maxAbsDiff.pytorch.toExponential(2)}`);
          log(`${c.id}: torchnode ${r.values.torchnode.map((v) => v.toPrecision(4)).join(' ')}; PyTorch ${r.values.pytorch.map((v) => v.toPrecision(4)).join(' ')}; ` +
            `ratio ${r.ratio.toFixed(2)}; other processes used ${loadText(r.otherLoad)} of the CPU`);
        }
      } catch (e) {
        r = { case: c, error: e.message };
        log(`${c.id}: ${e.message}`);
      }
    }
    results.push(r);
    if (o.json) console.log(jsonLine(r));
  }
  if (!o.json) {
    console.log(`${textTable(results)}\n${skipNotes(results).join('\n')}\n\ntargets:\n${targets(results).map((l) => `  ${l}`).join('\n')}`);
  }
  if (o.writeDocs) {
    mkdirSync(path.join(root, 'docs'), { recursive: true });
    const kept = { argv: process.argv.slice(2), env, python, started: started.toISOString(), results };
    writeFileSync(path.join(root, 'docs', keptFile(o.cuda ? 'cuda' : 'cpu', env.node.libtorch)), `${JSON.stringify(kept, null, 1)}\n`);
    writeDocs();
  }
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
