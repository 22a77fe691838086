// Trainer.fit() in a worker thread (the default): the caller's event loop stays free, progress and
// callbacks are relayed, aborts stop at a step boundary, errors keep their class and message.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import test from 'node:test';

import * as torch from 'torchnode';
import type { EpochResult } from '../lib/train/trainer.js';
import { workerExecArgv } from '../lib/train/worker-argv.js';

const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `torchnode-${name}-`));
const quiet = () => new torch.train.Progress(process.stderr, true);
const tiny = { model: 'resnet20', epochs: 1, batchSize: 64, limitTrain: 384, limitTest: 64, device: 'cpu', seed: 5, logEvery: 1 } as const;

test('fit() in a worker leaves the event loop free, relays progress and callbacks in order, and hands back the trained model', async () => {
  const out = tmp('worker-fit');
  const written: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { written.push(String(chunk)); cb(); } });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  try {
    const trainer = new torch.Trainer({ ...tiny, out }, { progress: new torch.train.Progress(sink) });
    assert.equal(trainer.thread, 'worker');
    const events: string[] = [];
    let stepSeconds = 0;
    const result = await trainer.fit({
      onBatchEnd: (s) => {
        if (s.batch === 1) delay.enable(); // from the first step on: the data is loaded, the loop runs
        stepSeconds = tiny.batchSize / s.imagesPerSecond;
        events.push(`batch ${s.batch}/${s.batches}`);
      },
      onEpochEnd: (m: EpochResult) => {
        delay.disable();
        events.push(`epoch ${m.epoch}`);
      },
    });
    assert.deepEqual(events, ['batch 1/6', 'batch 2/6', 'batch 3/6', 'batch 4/6', 'batch 5/6', 'batch 6/6', 'epoch 1']);
    const maxMs = delay.max / 1e6;
    assert.ok(maxMs < Math.max(100, stepSeconds * 1000 / 3), `event loop delay up to ${maxMs.toFixed(1)} ms while a step took ${(stepSeconds * 1000).toFixed(0)} ms`);
    // the worker's progress was drawn by this thread's Progress
    assert.match(written.join(''), /epoch 1\/1: train loss \d+\.\d+ acc/);
    assert.equal(result.epochs, 1);
    assert.equal(result.interrupted, false);
    // trainer.model holds the weights of last.safetensors, on this thread
    const model = trainer.model!;
    assert.ok(model instanceof torch.nn.Module);
    const saved = torch.load(path.join(out, 'last.safetensors'));
    const mine = model.stateDict();
    assert.equal(mine.size, saved.size);
    for (const [k, v] of saved) assert.deepEqual(mine.get(k)!.toTypedArray(), v.toTypedArray(), k);
    for (const t of [...saved.values(), ...mine.values()]) t.dispose();
    model.dispose();
  } finally {
    delay.disable();
    rmSync(out, { recursive: true, force: true });
  }
});

test('an abort reaches the worker: it stops at a step boundary with a checkpoint that the main thread resumes', async () => {
  const out = tmp('worker-abort');
  try {
    const stop = new AbortController();
    const first = await new torch.Trainer({ ...tiny, epochs: 2, out }, { progress: quiet() }).fit({
      signal: stop.signal,
      onBatchEnd: (s) => { if (s.batch === 2) stop.abort(); },
    });
    assert.equal(first.interrupted, true);
    assert.equal(first.epochs, 0);
    const { state, weights, stateTensors } = torch.train.loadCheckpoint(out, 'last');
    for (const t of [...weights.values(), ...stateTensors.values()]) t.dispose();
    assert.equal(state.epoch, 0);
    assert.ok(state.batch >= 2 && state.batch < 6, `stopped after batch ${state.batch}`);
    const rest = await new torch.Trainer({ ...tiny, epochs: 2, out, resume: true }, { progress: quiet(), thread: 'main' }).fit();
    assert.equal(rest.interrupted, false);
    assert.deepEqual(rest.history.map((m) => m.epoch), [1, 2]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('errors from the worker arrive with the class and message they have on the main thread', async () => {
  const dir = tmp('worker-errors');
  try {
    // a checkpoint pair that is not a training state
    torch.tidy(() => {
      torch.save(new Map([['w', torch.zeros([1])]]), path.join(dir, 'last.safetensors'));
      torch.save(new Map([['w', torch.zeros([1])]]), path.join(dir, 'last.state.safetensors'));
    });
    const missing = path.join(dir, 'no-such-dir');
    const cases = [
      { options: { ...tiny, out: dir, resume: true }, type: torch.CheckpointError },
      { options: { ...tiny, out: path.join(dir, 'run'), dataDir: missing, dataSource: 'dir' as const }, type: torch.data.DatasetError },
    ];
    for (const { options, type } of cases) {
      const errors: Error[] = [];
      for (const thread of ['main', 'worker'] as const) {
        await assert.rejects(new torch.Trainer(options, { progress: quiet(), thread }).fit(), (e: Error) => {
          errors.push(e);
          return true;
        });
      }
      const [here, there] = errors;
      assert.ok(there instanceof type, `${there!.name}: ${there!.message}`);
      assert.equal(there!.name, here!.name);
      assert.equal(there!.message, here!.message);
      assert.equal((there as { file?: string }).file, (here as { file?: string }).file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a callback that throws ends fit() with that error, as on the main thread', async () => {
  const out = tmp('worker-callback');
  try {
    const boom = new Error('stop here');
    const before = torch.memory().liveTensors;
    await assert.rejects(new torch.Trainer({ ...tiny, out }, { progress: quiet() }).fit({
      onBatchEnd: () => { throw boom; },
    }), (e) => e === boom);
    assert.equal(torch.memory().liveTensors, before);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Trainer and fit() options are validated on the calling thread', async () => {
  assert.throws(() => new torch.Trainer({ device: 'cpu' }, { thread: 'gpu' as never }),
    { name: 'TypeError', message: "Expected 'worker' or 'main' for thread but received 'gpu' of type string" });
  assert.throws(() => new torch.Trainer({ device: 'cpu' }, { threads: 2 } as never),
    { name: 'TypeError', message: "Unknown option 'threads' for new Trainer(); its options are progress, thread" });
  const trainer = new torch.Trainer({ device: 'cpu', out: tmp('never') }, { progress: quiet() });
  await assert.rejects(trainer.fit({ signal: 'stop' as never }),
    { name: 'TypeError', message: "Expected an AbortSignal for signal but received 'stop' of type string" });
  await assert.rejects(trainer.fit({ onEpochEnd: 1 as never }),
    { name: 'TypeError', message: 'Expected a function for onEpochEnd but received 1 of type number' });
  rmSync(trainer.config.out, { recursive: true, force: true });
});

test('the training worker starts without the main entry\'s flags: fit() from a script on stdin or --eval', async () => {
  assert.deepEqual(workerExecArgv(['--input-type=module', '-e', 'code', '--max-old-space-size=100', '--input-type', 'commonjs', '--print=1', '-i', '--import', 'x.js']),
    ['--max-old-space-size=100', '--import', 'x.js']);
  const out = tmp('worker-stdin');
  const entry = import.meta.resolve('torchnode');
  const script = `const torch = await import(${JSON.stringify(entry)});
const r = await new torch.Trainer(${JSON.stringify({ ...tiny, limitTrain: 128, out })}, { progress: new torch.train.Progress(process.stderr, true) }).fit();
console.log(JSON.stringify({ epochs: r.epochs, interrupted: r.interrupted }));`;
  try {
    for (const argv of [['--input-type=module'], ['--input-type=module', '-e', script]]) {
      const r = spawnSync(process.execPath, argv, { input: argv.length === 1 ? script : undefined, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `node ${argv[0]}${argv.length > 1 ? ' -e' : ' (stdin)'}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), { epochs: 1, interrupted: false });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
