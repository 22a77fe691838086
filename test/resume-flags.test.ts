// --resume with flags: the ones that may change apply and are said on stdout, the others are
// refused naming both values; a finished run extends; out/config.json holds each run's config.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tiny = ['--model', 'resnet20', '--batch-size', '32', '--limit-train', '96', '--limit-test', '32', '--device', 'cpu', '--seed', '3',
  '--schedule', 'constant', '--lr', '0.1', '--step-metrics', '--log-every', '2', '--quiet'];

function train(...args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'train', ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `train ${args.join(' ')}\n${r.stderr}`);
  return r;
}
const lines = (out: string) => readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
// what is not wall-clock time
const figures = (l: Record<string, number>) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'seconds' && k !== 'imagesPerSecond'));
// stdout's change lines (the summary line follows them)
const said = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('torchnode: --'));
const config = (out: string) => JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;

test('--resume --epochs extends a finished run to exactly the longer run, says so, and config.json follows; --lr applies to the epochs left', () => {
  const straight = mkdtempSync(path.join(tmpdir(), 'torchnode-straight-'));
  const extended = mkdtempSync(path.join(tmpdir(), 'torchnode-extended-'));
  try {
    train(...tiny, '--epochs', '2', '--out', straight);
    const first = train(...tiny, '--epochs', '1', '--out', extended);
    assert.deepEqual(said(first.stdout), []);
    assert.equal(config(extended).epochs, 1);
    const more = train('--resume', '--epochs', '2', '--out', extended, '--device', 'cpu', '--quiet');
    assert.deepEqual(said(more.stdout), ['torchnode: --epochs 1 → 2 (changed on resume)']);
    // three steps an epoch, a line every 2 and at the epoch's end: steps 2, 3, then 5, 6
    const want = lines(straight);
    assert.deepEqual(want.map((l) => ('step' in l ? `s${l.step}` : `e${l.epoch}`)), ['s2', 's3', 'e1', 's5', 's6', 'e2']);
    assert.deepEqual(lines(extended).map(figures), want.map(figures));
    assert.equal(config(extended).epochs, 2);

    const third = train('--resume', '--epochs', '3', '--lr', '0.05', '--out', extended, '--device', 'cpu', '--quiet');
    assert.deepEqual(said(third.stdout), ['torchnode: --epochs 2 → 3 (changed on resume)', 'torchnode: --lr 0.1 → 0.05 (changed on resume)']);
    const after = lines(extended);
    assert.deepEqual(after.slice(0, 6).map(figures), want.map(figures));
    assert.deepEqual(after.slice(6).map((l) => [l.step ?? `e${l.epoch}`, l.lr]), [[8, 0.05], [9, 0.05], ['e3', 0.05]]);
    assert.deepEqual([config(extended).epochs, config(extended).lr, config(extended).batchSize], [3, 0.05, 32]);
  } finally {
    rmSync(straight, { recursive: true, force: true });
    rmSync(extended, { recursive: true, force: true });
  }
});

test('--resume refuses a flag that defines the run, naming it and both values, and leaves the run as it was', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'torchnode-refuse-'));
  try {
    train(...tiny, '--epochs', '1', '--out', out);
    const before = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    for (const [flag, value, was, asked] of [['--batch-size', '16', '32', '16'], ['--model', 'resnet32', '"resnet20"', '"resnet32"'], ['--seed', '4', '3', '4']]) {
      const r = spawnSync(process.execPath, [cli, 'train', '--resume', '--out', out, '--device', 'cpu', flag!, value!], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `torchnode train: Cannot change ${flag} when resuming ${out}: the run was started with ${was} and this one asks for ${asked}; ` +
        'leave it out to resume, or start a new run in another out directory (see torchnode train --help)\n');
    }
    assert.equal(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8'), before);
    assert.equal(config(out).batchSize, 32);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the library: fit() tells the changes through onResume (relayed from the worker thread) and rejects an option that cannot change', async () => {
  const torch = await import('torchnode');
  const out = mkdtempSync(path.join(tmpdir(), 'torchnode-resume-lib-'));
  const run = { model: 'resnet20', batchSize: 32, limitTrain: 64, limitTest: 32, device: 'cpu', seed: 1, out, tta: false } as const;
  const quiet = () => new torch.train.Progress(process.stderr, true);
  try {
    await new torch.Trainer({ ...run, epochs: 1 }, { progress: quiet() }).fit();
    const told: unknown[] = [];
    const r = await new torch.Trainer({ ...run, epochs: 2, resume: true }, { progress: quiet() }).fit({ onResume: (c) => told.push(...c) });
    assert.deepEqual(told, [{ option: 'epochs', from: 1, to: 2 }]);
    assert.deepEqual(r.history.map((m) => m.epoch), [1, 2]);
    await assert.rejects(new torch.Trainer({ ...run, batchSize: 16, resume: true }, { progress: quiet(), thread: 'main' }).fit(), {
      name: 'TypeError',
      message: `Cannot change batchSize when resuming ${out}: the run was started with 32 and this one asks for 16; leave it out to resume, or start a new run in another out directory`,
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('step lines after a stop mid-epoch: a resumed run rewrites metrics.jsonl from its checkpoint, so lines a killed run appended past it are not kept', async () => {
  const torch = await import('torchnode');
  const straight = mkdtempSync(path.join(tmpdir(), 'torchnode-steps-a-'));
  const stopped = mkdtempSync(path.join(tmpdir(), 'torchnode-steps-b-'));
  const run = { model: 'resnet20', batchSize: 32, limitTrain: 96, limitTest: 32, device: 'cpu', seed: 1, tta: false, epochs: 2, stepMetrics: true, logEvery: 1 } as const;
  const quiet = () => new torch.train.Progress(process.stderr, true);
  try {
    await new torch.Trainer({ ...run, out: straight }, { progress: quiet(), thread: 'main' }).fit();
    const stop = new AbortController();
    const first = await new torch.Trainer({ ...run, out: stopped }, { progress: quiet(), thread: 'main' }).fit({
      signal: stop.signal, onBatchEnd: (s) => { if (s.epoch === 1 && s.batch === 1) stop.abort(); },
    });
    assert.equal(first.interrupted, true);
    // what a run killed after its checkpoint would have left: a line the checkpoint does not know
    const { appendFileSync } = await import('node:fs');
    appendFileSync(path.join(stopped, 'metrics.jsonl'), '{"step":5,"epoch":2,"batch":2,"loss":9,"lr":0.1,"imagesPerSecond":1}\n');
    await new torch.Trainer({ ...run, out: stopped, resume: true }, { progress: quiet(), thread: 'main' }).fit();
    const want = lines(straight);
    assert.deepEqual(want.map((l) => ('step' in l ? `s${l.step}` : `e${l.epoch}`)), ['s1', 's2', 's3', 'e1', 's4', 's5', 's6', 'e2']);
    assert.deepEqual(lines(stopped).map(figures), want.map(figures));
  } finally {
    rmSync(straight, { recursive: true, force: true });
    rmSync(stopped, { recursive: true, force: true });
  }
});
