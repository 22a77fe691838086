// Faults: a training run killed at any instant resumes with nothing lost, and an output directory
// that cannot be written is one clear error, before training at start-up and with the last good
// checkpoint intact mid-run. The long version is scripts/faults/kill-resume.mjs.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `torchnode-faults-${name}-`));
// 2 epochs of 4 steps: test accuracy 10.94% then 9.38%, so best is written after epoch 1 only
const CONFIG = ['--model', 'resnet20', '--epochs', '2', '--limit-train', '256', '--limit-test', '64', '--batch-size', '64',
  '--seed', '3', '--device', 'cpu', '--json'];
const PAUSE_MS = 300;

interface Run { code: number | null; stdout: string; stderr: string; killedAt: string | null }
type Kill = { file: string; nth: number } | { line: RegExp };

/** Runs `train` into `out`; `kill`: SIGKILL inside the nth write of `file`, or once stderr matches `line`. */
function train(out: string, options: { resume?: boolean; kill?: Kill; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train', ...CONFIG, '--out', out, ...(options.resume ? ['--resume'] : [])], {
      env: { ...process.env, TORCHNODE_TEST_PAUSE_IN_WRITE: String(PAUSE_MS), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killedAt: string | null = null;
    const kill = options.kill;
    const fire = (what: string) => {
      if (killedAt !== null || child.exitCode !== null) return;
      killedAt = what;
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (kill && 'line' in kill && kill.line.test(stderr)) fire(`after ${kill.line}`);
    });
    const seen = new Set<string>();
    const poll = kill && 'file' in kill ? setInterval(() => {
      // the writer's temporary file, .NAME.PID.HEX.tmp, exists for the whole write and its pause
      for (const name of existsSync(out) ? readdirSync(out) : []) {
        if (name.startsWith(`.${kill.file}.${child.pid}.`) && name.endsWith('.tmp')) seen.add(name);
      }
      if (seen.size >= kill.nth) fire(`inside write ${kill.nth} of ${kill.file}`);
    }, 10) : null;
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      resolve({ code, stdout, stderr, killedAt });
    });
  });
}

const figures = (r: Run) => (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { metrics: Record<string, number>[] }).metrics
  .map((m) => [m.epoch, m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy, m.lr]);
const metricsFile = (out: string) => readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l) as Record<string, number>).map((m) => [m.epoch, m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy, m.lr]);

/** Every tensor of a weights file as dtype, shape and bytes. */
function weights(file: string): Map<string, string> {
  const tensors = torch.load(file);
  const bytes = new Map([...tensors].map(([k, t]) => {
    const a = t.toTypedArray();
    return [k, `${t.dtype}${JSON.stringify(t.shape)}${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`];
  }));
  for (const t of tensors.values()) t.dispose();
  return bytes;
}

/** A run whose epoch-2 checkpoint write failed: exit 1, one line naming the file and the pair still intact. */
function assertStoppedAfterEpoch1(run: { code: number | null; stderr: string }, out: string): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr.trim().split('\n').at(-1), `torchnode: cannot write the checkpoint ${out}/last.safetensors: no space left on device (ENOSPC); ` +
    `${out}/last.safetensors still holds the end of epoch 1, and a resumed run continues from there`);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  assert.deepEqual(checkpointAt(out, 'last'), { epoch: 1, batch: 0 });
}

/** Where `name`'s pair in `out` stands, loading it whole; null when there is none. */
function checkpointAt(out: string, name: string): { epoch: number; batch: number } | null {
  if (!torch.train.hasCheckpoint(out, name)) return null;
  const { weights: w, stateTensors, state } = torch.train.loadCheckpoint(out, name, 'cpu');
  for (const t of [...w.values(), ...stateTensors.values()]) t.dispose();
  return { epoch: state.epoch, batch: state.batch };
}

let straight: { out: string; run: Run } | null = null;
/** The uninterrupted run every resumed one must equal (made once). */
async function uninterrupted(): Promise<{ out: string; run: Run }> {
  if (!straight) {
    const out = tmp('straight');
    const run = await train(out);
    assert.equal(run.code, 0, run.stderr);
    straight = { out, run };
  }
  return straight;
}

test.after(() => {
  if (straight) rmSync(straight.out, { recursive: true, force: true });
});

test('a checkpoint save that fails between its two files leaves the previous pair whole', () => {
  const dir = tmp('pair');
  const w = (v: number) => new Map([['w', torch.full([3], v)]]);
  const s = (v: number) => new Map([['optimizer.m', torch.full([2], v)]]);
  const save = (name: string, v: number) => torch.tidy(() => torch.train.saveCheckpoint(dir, name, w(v), s(v), { epoch: v, batch: 0, step: 10 * v }));
  const read = (name: string) => {
    const { weights: ws, stateTensors, state } = torch.train.loadCheckpoint(dir, name, 'cpu');
    const out = [state.epoch, ...(ws.get('w')!.toArray() as number[]), ...(stateTensors.get('optimizer.m')!.toArray() as number[])];
    for (const t of [...ws.values(), ...stateTensors.values()]) t.dispose();
    return out;
  };
  try {
    // the weights of the second save fail after its state has replaced the first state
    process.env.TORCHNODE_TEST_FAIL_WRITE = 'pair.safetensors:2';
    save('pair', 1);
    assert.throws(() => save('pair', 2), { code: 'ENOSPC', message: `ENOSPC: no space left on device, write '${path.join(dir, 'pair.safetensors')}'` });
    assert.deepEqual(readdirSync(dir).sort(), ['pair.safetensors', 'pair.state.prev.safetensors', 'pair.state.safetensors']);
    assert.equal(torch.train.hasCheckpoint(dir, 'pair'), true);
    assert.deepEqual(read('pair'), [1, 1, 1, 1, 1, 1]);
    // the next save succeeds and needs the old state no more
    save('pair', 3);
    assert.deepEqual(read('pair'), [3, 3, 3, 3, 3, 3]);
    assert.deepEqual(readdirSync(dir).sort(), ['pair.safetensors', 'pair.state.safetensors']);

    // a failed state write leaves both old files as they were
    process.env.TORCHNODE_TEST_FAIL_WRITE = 'other.state.safetensors:2';
    save('other', 1);
    assert.throws(() => save('other', 2), { code: 'ENOSPC' });
    assert.deepEqual(read('other'), [1, 1, 1, 1, 1, 1]);
    // a pair that truly mixes two moments is still refused
    delete process.env.TORCHNODE_TEST_FAIL_WRITE;
    save('mixed', 1);
    torch.tidy(() => torch.save(w(5), path.join(dir, 'mixed.safetensors'), { metadata: { 'torchnode.checkpoint': 'elsewhere' } }));
    assert.throws(() => read('mixed'), {
      name: 'CheckpointError',
      message: `${path.join(dir, 'mixed.safetensors')} and ${path.join(dir, 'mixed.state.safetensors')} come from different moments (a write was interrupted); resume from best, or start again`,
    });
  } finally {
    delete process.env.TORCHNODE_TEST_FAIL_WRITE;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train killed with SIGKILL at three instants resumes to exactly the uninterrupted run: metrics, metrics.jsonl, weights', async () => {
  const reference = await uninterrupted();
  const cases: { kill: Kill; from: string; pairs: Record<string, { epoch: number; batch: number } | null> }[] = [
    // between the two files of the epoch-2 checkpoint: the state is new, the weights are not
    { kill: { file: 'last.safetensors', nth: 2 }, from: 'resuming OUT at epoch 2, batch 0', pairs: { last: { epoch: 1, batch: 0 }, best: { epoch: 1, batch: 0 } } },
    // inside the first write of last's state, best already written: nothing to resume yet
    { kill: { file: 'last.state.safetensors', nth: 1 }, from: 'nothing to resume in OUT; starting afresh', pairs: { last: null, best: { epoch: 1, batch: 0 } } },
    // during epoch 2's steps, once epoch 1 has been reported
    { kill: { line: /^epoch 1\/2: train loss/m }, from: 'resuming OUT at epoch 2, batch 0', pairs: { last: { epoch: 1, batch: 0 }, best: { epoch: 1, batch: 0 } } },
  ];
  for (const { kill, from, pairs } of cases) {
    const out = tmp('kill');
    try {
      const killed = await train(out, { kill });
      assert.notEqual(killed.killedAt, null, `the run ended before the kill: ${killed.stderr}`);
      assert.equal(killed.code, null);
      // every pair on disk loads, and stands where the kill left it
      assert.deepEqual({ last: checkpointAt(out, 'last'), best: checkpointAt(out, 'best') }, pairs, killed.killedAt!);
      const resumed = await train(out, { resume: true });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.stderr.split('\n')[0], `torchnode: ${from.replace('OUT', out)}`);
      assert.deepEqual(figures(resumed), figures(reference.run), killed.killedAt!);
      assert.deepEqual(metricsFile(out), metricsFile(reference.out));
      for (const f of ['last.safetensors', 'best.safetensors']) assert.deepEqual(weights(path.join(out, f)), weights(path.join(reference.out, f)), f);
      // no temporary file of the killed writer is left behind
      assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('.')), []);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
});

/** Runs `train --out dir` expecting it to stop before the first step with `reason`. */
function assertRefused(dir: string, reason: string): void {
  const r = spawnSync(process.execPath, [cli, 'train', ...CONFIG, '--out', dir], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  // one line, no stack trace, no progress: nothing was trained
  assert.equal(r.stderr, `torchnode: cannot write to the output directory ${dir}: ${reason}\n`);
  assert.equal(r.stdout, '');
}

/** Runs `mount` with `args`; the reason it cannot, or null. */
function mount(...args: string[]): string | null {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  return r.status === 0 ? null : `mount ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`;
}

test('an --out that is a file, or under one, is refused before training with the reason', () => {
  const dir = tmp('file');
  try {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    assertRefused(file, 'it exists and is not a directory (EEXIST)');
    assertRefused(path.join(file, 'run'), 'a part of the path is not a directory (ENOTDIR)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only --out is refused before training with the reason', (t) => {
  const dir = tmp('readonly');
  const out = path.join(dir, 'run');
  mkdirSync(out);
  let mounted = false;
  try {
    if (process.getuid?.() !== 0) {
      chmodSync(out, 0o555);
      assertRefused(out, 'permission denied (EACCES)');
      return;
    }
    // root writes through file modes: a read-only bind mount stops it
    const why = mount('--bind', out, out);
    if (why) return t.skip(`running as root, and no read-only bind mount: ${why}`);
    mounted = true;
    const ro = mount('-o', 'remount,ro,bind', out);
    if (ro) return t.skip(`running as root, and no read-only bind mount: ${ro}`);
    assertRefused(out, 'read-only file system (EROFS)');
  } finally {
    if (mounted) spawnSync('umount', [out]);
    chmodSync(out, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk (tmpfs): mid-run the last good checkpoint stays; at start-up, when nothing fits, the run is refused before training', async (t) => {
  const dir = tmp('full');
  let mounted = false;
  try {
    // 5 MiB: epoch 1's files fit (4.4 MB, with one temporary file at a time); epoch 2's new state does not
    const why = mount('-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', dir);
    if (why) return t.skip(`no tmpfs to fill: ${why}`);
    mounted = true;
    const out = path.join(dir, 'run');
    const run = await train(out, { env: { TORCHNODE_TEST_PAUSE_IN_WRITE: '0' } });
    assertStoppedAfterEpoch1(run, out);
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);

    // fill what is left: now not even the probe fits
    writeFileSync(path.join(dir, 'filler'), Buffer.alloc(0));
    for (;;) {
      try {
        writeFileSync(path.join(dir, 'filler'), Buffer.alloc(64 * 1024), { flag: 'a' });
      } catch {
        break;
      }
    }
    assertRefused(path.join(dir, 'another'), 'no space left on device (ENOSPC)');
  } finally {
    if (mounted) spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint write that fails mid-run (TORCHNODE_TEST_FAIL_WRITE) keeps the last good pair, and --resume finishes the run exactly', async () => {
  const reference = await uninterrupted();
  const out = tmp('fail');
  try {
    // epoch 2's weights fail after its state has been written
    const run = await train(out, { env: { TORCHNODE_TEST_FAIL_WRITE: 'last.safetensors:2' } });
    assertStoppedAfterEpoch1(run, out);
    const resumed = await train(out, { resume: true });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(figures(resumed), figures(reference.run));
    assert.deepEqual(weights(path.join(out, 'last.safetensors')), weights(path.join(reference.out, 'last.safetensors')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
