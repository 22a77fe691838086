// The training loop end to end on real CIFAR-10 subsets, resuming, checkpoints and the CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';
import type { EpochResult } from '../lib/train/trainer.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const quiet = () => new torch.train.Progress(process.stderr, true);
const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `torchnode-${name}-`));

test('ResNet-20 learns real CIFAR-10: a 4,096-image run is far above chance on held-out images', async () => {
  const out = tmp('learn');
  try {
    const trainer = new torch.Trainer({ model: 'resnet20', epochs: 2, limitTrain: 4096, limitTest: 1000, device: 'cpu', out, seed: 1 }, { progress: quiet() });
    const result = await trainer.fit();
    assert.equal(result.epochs, 2);
    assert.ok(result.testAccuracy! >= 0.25, `test accuracy ${result.testAccuracy} (chance is 0.10)`);
    assert.ok(result.history[1]!.trainLoss < result.history[0]!.trainLoss, 'the training loss falls');
    // metrics, curves and both checkpoints are on disk
    const lines = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochResult);
    assert.deepEqual(lines.map((m) => m.epoch), [1, 2]);
    assert.match(readFileSync(path.join(out, 'curves.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    for (const f of ['last.safetensors', 'last.state.safetensors', 'best.safetensors', 'best.state.safetensors']) assert.ok(existsSync(path.join(out, f)), f);
    // the weights file is a plain state_dict, with the architecture in its metadata
    assert.equal(torch.loadMetadata(path.join(out, 'last.safetensors')).model, 'resnet20');
    const weights = torch.load(path.join(out, 'last.safetensors'));
    assert.equal(weights.size, 128);
    for (const t of weights.values()) t.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

const small = { model: 'resnet20', epochs: 2, batchSize: 64, limitTrain: 512, limitTest: 128, device: 'cpu', seed: 3, logEvery: 1 } as const;

test('a run stopped mid-epoch and resumed gives exactly the losses of an uninterrupted run', async () => {
  const straight = tmp('straight');
  const stopped = tmp('stopped');
  try {
    const full = await new torch.Trainer({ ...small, out: straight }, { progress: quiet() }).fit();
    const stop = new AbortController();
    const first = await new torch.Trainer({ ...small, out: stopped }, { progress: quiet() }).fit({
      signal: stop.signal,
      onBatchEnd: (s) => { if (s.epoch === 0 && s.batch === 3) stop.abort(); },
    });
    assert.equal(first.interrupted, true);
    assert.equal(first.epochs, 0);
    const rest = await new torch.Trainer({ ...small, out: stopped, resume: true }, { progress: quiet() }).fit();
    assert.equal(rest.interrupted, false);
    const losses = (r: { history: EpochResult[] }) => r.history.map((m) => [m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy]);
    assert.deepEqual(losses(rest), losses(full));
  } finally {
    rmSync(straight, { recursive: true, force: true });
    rmSync(stopped, { recursive: true, force: true });
  }
});

test('a writer killed while saving leaves the previous checkpoint loadable', async () => {
  const dir = tmp('kill');
  const file = path.join(dir, 'last.safetensors');
  try {
    torch.tidy(() => torch.save(new Map([['w', torch.full([4], 7)]]), file));
    // a child rewrites the file with 64 MB tensors in a loop; kill it mid-write
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const torch = await import(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
      const big = torch.randn([16, 1024, 1024]);
      console.log('ready');
      for (;;) torch.save(new Map([['w', big]]), ${JSON.stringify(file)});`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const loaded = torch.load(file);
    const w = loaded.get('w')!;
    assert.ok(w.numel() === 4 || w.numel() === 16 * 1024 * 1024, `a whole file: ${w.numel()} elements`);
    w.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('torchnode train validates its options with messages that name the flag', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'train', ...args], { encoding: 'utf8' });
  const cases: [string[], string][] = [
    [['--epochs', '-1'], 'torchnode train: Expected positive integer for --epochs but received -1 of type number (see torchnode train --help)'],
    [['--epochs', 'two'], "torchnode train: Expected a number for --epochs but received 'two' (see torchnode train --help)"],
    [['--model', 'resnet7'], "torchnode train: Expected resnet18, resnet34, resnet50, resnet101, resnet152, resnet20, resnet32, resnet44, resnet56, resnet110 for --model but received 'resnet7' of type string (see torchnode train --help)"],
    [['--amp', 'fp8'], "torchnode train: Expected 'none', 'bf16' or 'fp16' for --amp but received 'fp8' of type string (see torchnode train --help)"],
    [['--epoch', '2'], 'torchnode train: unknown option --epoch; did you mean --epochs? (see torchnode train --help)'],
    [['--device', 'tpu'], "torchnode train: Expected 'cpu', 'cuda' or 'cuda:N' for --device but received 'tpu' of type string (see torchnode train --help)"],
    [['--amp', 'fp16', '--device', 'cpu'], 'torchnode train: amp fp16 needs a CUDA device; use bf16 on the CPU (see torchnode train --help)'],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), message);
  }
});

test('torchnode train --json ends with one JSON object; eval and predict read its checkpoint', () => {
  const out = tmp('cli');
  try {
    const r = spawnSync(process.execPath, [cli, 'train', '--epochs', '1', '--limit-train', '256', '--limit-test', '64', '--batch-size', '64',
      '--device', 'cpu', '--out', out, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    for (const key of ['testAccuracy', 'epochs', 'trainSeconds', 'imagesPerSecond', 'device']) assert.ok(key in last, key);
    assert.equal(last.epochs, 1);
    assert.equal(last.device, 'cpu');

    const e = spawnSync(process.execPath, [cli, 'eval', '--checkpoint', path.join(out, 'last.safetensors'), '--limit-test', '64', '--device', 'cpu', '--json'], { encoding: 'utf8' });
    assert.equal(e.status, 0, e.stderr);
    const evaluated = JSON.parse(e.stdout);
    assert.equal(evaluated.model, 'resnet20');
    assert.equal(evaluated.images, 64);
    // the same weights, images and TTA as the run's own evaluation
    assert.ok(Math.abs(evaluated.testAccuracy - last.testAccuracy) < 1e-9);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
