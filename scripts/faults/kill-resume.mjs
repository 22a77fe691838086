#!/usr/bin/env node
// Kills `torchnode train` with SIGKILL at random instants (no handler runs, nothing is flushed),
// resumes it with --resume until it completes, and checks that it ends with exactly the metrics
// and weights of a run never killed, and that every checkpoint on disk loads after every kill.
// Usage: node scripts/faults/kill-resume.mjs [--kills 20] [--seed 1] [--repeat 2] [--pause-ms 150] [--keep]
//   --kills N     runs to kill (every 4th waits for a chosen checkpoint file's write and dies inside it)
//   --seed S      seed of the kill instants
//   --repeat R    kills per run: after the first, R-1 resumed runs are killed too, then one completes
//   --pause-ms M  TORCHNODE_TEST_PAUSE_IN_WRITE: each atomic write holds M ms between its synced
//                 temporary file and the rename, so random instants land in writes often
//   --keep        keep the output directories (printed at the end)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, isDeepStrictEqual } from 'node:util';

import * as torch from 'torchnode';
import { mulberry32 } from '../../dist/mulberry32.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const { values: flags } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' }, seed: { type: 'string', default: '1' }, repeat: { type: 'string', default: '2' },
    'pause-ms': { type: 'string', default: '150' }, keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const kills = Number(flags.kills);
const repeat = Number(flags.repeat);
const pauseMs = Number(flags['pause-ms']);
for (const [name, v, min] of [['--kills', kills, 1], ['--repeat', repeat, 1], ['--pause-ms', pauseMs, 0], ['--seed', Number(flags.seed), 0]]) {
  if (!Number.isInteger(v) || v < min) {
    console.error(`kill-resume: Expected an integer >= ${min} for ${name} but received '${v}'`);
    process.exit(2);
  }
}
const EPOCHS = 3;
const CONFIG = ['--model', 'resnet20', '--epochs', String(EPOCHS), '--limit-train', '512', '--limit-test', '128', '--batch-size', '64',
  '--seed', '3', '--device', 'cpu', '--json'];
// the four files an epoch end replaces; a targeted kill waits for one of them
const TARGETS = ['last.state.safetensors', 'last.safetensors', 'best.state.safetensors', 'best.safetensors'];
const COMPARED = ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'lr'];
const next = mulberry32(Number(flags.seed));
const work = mkdtempSync(path.join(tmpdir(), 'torchnode-faults-'));

/** A temporary file of the atomic writer: `.NAME.PID.HEX.tmp`. */
const tempOf = (name) => /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
const listDir = (dir) => (existsSync(dir) ? readdirSync(dir) : []);

/**
 * Runs `train` into `out`; `kill` (optional) says when to SIGKILL it: { atMs } or
 * { file, nth, delayMs } (the nth temporary file of `file` seen, then delayMs). Resolves with
 * the exit, the output, and the phase the kill hit.
 */
function train(out, resume, kill) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'train', ...CONFIG, '--out', out, ...(resume ? ['--resume'] : [])], {
      env: { ...process.env, TORCHNODE_TEST_PAUSE_IN_WRITE: String(pauseMs) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    let hit = null;
    const timers = [];
    const fire = () => {
      if (hit || child.exitCode !== null) return;
      hit = { ms: Math.round(performance.now() - started), phase: phaseOf(out, resume, stderr, child.pid) };
      child.kill('SIGKILL');
    };
    if (kill?.atMs !== undefined) timers.push(setTimeout(fire, kill.atMs));
    if (kill?.file) {
      const seen = new Set();
      const poll = setInterval(() => {
        for (const name of listDir(out)) {
          const m = tempOf(name);
          if (m && m[1] === kill.file && Number(m[2]) === child.pid) seen.add(name);
        }
        if (seen.size >= kill.nth) {
          clearInterval(poll);
          timers.push(setTimeout(fire, kill.delayMs));
        }
      }, 5);
      timers.push(poll);
    }
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr, hit, ms: Math.round(performance.now() - started) });
    });
  });
}

/** What the run was doing: its own temporary file names the write; its progress lines the epoch. */
function phaseOf(out, resume, stderr, pid) {
  if (resume ? !/^torchnode: (resuming|nothing to resume)/m.test(stderr) : !existsSync(out)) return 'start-up';
  const resumedAt = /^torchnode: resuming .* at epoch (\d+), batch \d+$/m.exec(stderr);
  const done = [...stderr.matchAll(/^epoch (\d+)\/\d+: train loss/gm)].map((m) => Number(m[1]));
  const epoch = (done.at(-1) ?? (resumedAt ? Number(resumedAt[1]) - 1 : 0)) + 1;
  const writing = listDir(out).map(tempOf).find((m) => m && Number(m[2]) === pid);
  if (writing) return `writing ${writing[1]} (end of epoch ${epoch})`;
  if (epoch > EPOCHS) return 'after the last epoch (reporting, exiting)';
  const lastStep = new RegExp(`^epoch ${epoch}/\\d+ (\\d+)/\\1 loss`, 'm');
  if (lastStep.test(stderr)) return `end of epoch ${epoch} (evaluation, metrics)`;
  // a fresh run prints nothing between making its directory and its first epoch's end
  return !resume && epoch === 1 ? 'loading data or epoch 1 steps' : `epoch ${epoch} steps`;
}

/** Where a resumed run started, from its own line. */
function resumedFrom(stderr) {
  const m = /^torchnode: resuming .* at epoch (\d+), batch (\d+)$/m.exec(stderr);
  if (!m) return /^torchnode: nothing to resume/m.test(stderr) ? 'nothing (afresh)' : 'not known (killed before it said)';
  return m[2] === '0' ? `last (end of epoch ${Number(m[1]) - 1})` : `last (epoch ${m[1]}, batch ${m[2]})`;
}

/** Problems with the checkpoints in `out`: each pair present must load, each .safetensors file too. */
function checkpointProblems(out) {
  const problems = [];
  for (const name of ['last', 'best']) {
    if (!torch.train.hasCheckpoint(out, name)) continue;
    try {
      const { weights, stateTensors } = torch.train.loadCheckpoint(out, name, 'cpu');
      for (const t of [...weights.values(), ...stateTensors.values()]) t.dispose();
    } catch (e) {
      problems.push(`${name} does not load: ${e.message}`);
    }
  }
  for (const file of listDir(out).filter((f) => f.endsWith('.safetensors'))) {
    try {
      for (const t of torch.load(path.join(out, file)).values()) t.dispose();
    } catch (e) {
      problems.push(`${file} does not load: ${e.message}`);
    }
  }
  return problems;
}

/** A checkpoint's weights as bytes per tensor name, for an exact comparison. */
function weightBytes(file) {
  const tensors = torch.load(file);
  const bytes = new Map([...tensors].map(([k, t]) => {
    const a = t.toTypedArray();
    return [k, `${t.dtype}${JSON.stringify(t.shape)}${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`];
  }));
  for (const t of tensors.values()) t.dispose();
  return bytes;
}

const pick = (m) => Object.fromEntries(COMPARED.map((k) => [k, m[k]]));
const jsonLine = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));
const metricsFile = (out) => readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => pick(JSON.parse(l)));

/** How `out` differs from the uninterrupted run; empty when it does not. */
function differences(out, result, reference) {
  const found = [];
  const final = jsonLine(result.stdout);
  if (!isDeepStrictEqual(final.metrics.map(pick), reference.metrics)) found.push('per-epoch metrics differ');
  if (final.bestTestAccuracy !== reference.bestTestAccuracy) found.push(`bestTestAccuracy ${final.bestTestAccuracy} != ${reference.bestTestAccuracy}`);
  if (!isDeepStrictEqual(metricsFile(out), reference.metrics)) found.push('metrics.jsonl differs');
  for (const name of ['last', 'best']) {
    if (!isDeepStrictEqual(weightBytes(path.join(out, `${name}.safetensors`)), reference.weights[name])) found.push(`${name}.safetensors weights differ`);
  }
  const temps = listDir(out).filter((f) => tempOf(f));
  if (temps.length) found.push(`temporary files left: ${temps.join(', ')}`);
  return found;
}

const wallStart = performance.now();
console.log(`kill-resume: ${kills} runs of train ${CONFIG.join(' ')}, killed ${repeat}x each (seed ${flags.seed}, ${pauseMs} ms pause in each write)`);
const straightOut = path.join(work, 'straight');
const straight = await train(straightOut, false, null);
if (straight.code !== 0) {
  console.error(`kill-resume: the uninterrupted run failed (exit ${straight.code}):\n${straight.stderr}`);
  process.exit(1);
}
const reference = {
  metrics: jsonLine(straight.stdout).metrics.map(pick),
  bestTestAccuracy: jsonLine(straight.stdout).bestTestAccuracy,
  // best is rewritten at each epoch whose test accuracy is a new high
  bestWrites: jsonLine(straight.stdout).metrics.filter((m, i, all) => all.slice(0, i).every((p) => m.testAccuracy > p.testAccuracy)).length,
  weights: { last: weightBytes(path.join(straightOut, 'last.safetensors')), best: weightBytes(path.join(straightOut, 'best.safetensors')) },
};
console.log(`uninterrupted: ${straight.ms} ms; train loss per epoch ${reference.metrics.map((m) => m.trainLoss.toFixed(6)).join(', ')}`);

/** A kill inside a write of `file`: its second write or a later one, so that an older pair is on disk. */
function targetedKill(file) {
  const writes = file.startsWith('best') ? reference.bestWrites : EPOCHS;
  return { file, nth: writes >= 2 ? 2 + Math.floor(next() * (writes - 1)) : 1, delayMs: Math.floor(next() * pauseMs * 0.8) };
}

const tally = { phases: new Map(), from: new Map(), equal: 0, loadFailures: 0, kills: 0 };
const count = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
const phaseKind = (p) => p.replace(/ \(end of epoch \d+\)$/, '').replace(/^end of epoch \d+.*/, 'end of an epoch (evaluation, metrics)')
  .replace(/^epoch \d+ steps$/, 'training steps');
for (let i = 1; i <= kills; i++) {
  const out = path.join(work, `kill-${i}`);
  const notes = [];
  const problems = [];
  let resume = false;
  let result = null;
  for (let k = 0; k < repeat; k++) {
    // every 4th first kill waits for a given file's write: certain to land inside one
    const targeted = k === 0 && i % 4 === 0;
    const plan = targeted ? targetedKill(TARGETS[(i / 4 - 1) % TARGETS.length]) : { atMs: Math.floor(next() * straight.ms) };
    result = await train(out, resume, plan);
    // a first run quicker than the uninterrupted one may end before its instant: draw again within its length
    for (let again = 0; k === 0 && !result.hit && again < 3; again++) {
      rmSync(out, { recursive: true, force: true });
      result = await train(out, false, { atMs: Math.floor(next() * result.ms) });
    }
    const from = resume ? `resumed from ${resumedFrom(result.stderr)}; ` : '';
    // a resumed run killed before it said where it started is not counted
    if (resume && !resumedFrom(result.stderr).startsWith('not known')) count(tally.from, resumedFrom(result.stderr));
    if (!result.hit) {
      notes.push(`${from}finished before the kill (exit ${result.code})`);
      break;
    }
    tally.kills++;
    count(tally.phases, phaseKind(result.hit.phase));
    const bad = checkpointProblems(out);
    tally.loadFailures += bad.length;
    problems.push(...bad);
    notes.push(`${from}killed at ${result.hit.ms} ms${targeted ? ' (targeted)' : ''}: ${result.hit.phase}`);
    resume = true;
  }
  if (result.hit) {
    result = await train(out, true, null);
    count(tally.from, resumedFrom(result.stderr));
    notes.push(`resumed from ${resumedFrom(result.stderr)}, exit ${result.code}`);
  }
  if (result.code !== 0) problems.push(`the last run failed (exit ${result.code}): ${result.stderr.trim().split('\n').at(-1)}`);
  else problems.push(...differences(out, result, reference));
  if (!problems.length) tally.equal++;
  console.log(`kill ${String(i).padStart(2)}/${kills}: ${notes.join('; ')} | equal: ${problems.length ? `NO (${problems.join('; ')})` : 'yes'}`);
  if (!flags.keep) rmSync(out, { recursive: true, force: true });
}

const list = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ');
console.log(`summary: ${tally.kills} kills in ${kills} runs; where they landed: ${list(tally.phases)}`);
console.log(`summary: resumed from: ${list(tally.from)}`);
console.log(`summary: ${tally.equal}/${kills} runs ended equal to the uninterrupted one (per-epoch losses, accuracies and lr, ` +
  `metrics.jsonl, last and best weights bit for bit, no temporary files); ${tally.loadFailures} checkpoint files failed to load after a kill`);
console.log(`summary: wall time ${((performance.now() - wallStart) / 1000).toFixed(0)} s`);
if (flags.keep) console.log(`kept: ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exitCode = tally.equal === kills && tally.loadFailures === 0 ? 0 : 1;
