// The trainer's parts: train.step and train.evaluate against PyTorch (test/fixtures/train-parts.json,
// scripts/references/make_train_parts_references.py), the TrainState schema, and a Trainer given
// a Module and data of its own.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

import { assertClose, loadFixture } from './helpers.js';
import { flatData, fromRef, type Ref } from './reference.js';

const fx = loadFixture('train-parts.json');
const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `torchnode-${name}-`));
const quiet = () => new torch.train.Progress(process.stderr, true);

function tinyModel(): torch.nn.Module {
  const net = new torch.nn.Sequential(new torch.nn.Flatten(), new torch.nn.Linear({ inFeatures: 4, outFeatures: 3 }));
  torch.tidy(() => net.loadStateDict(new Map(Object.entries(fx.model as Record<string, Ref>).map(([k, v]) => [k, fromRef(v)]))));
  return net;
}

test('train.step: three SGD steps (Nesterov, weight decay, label smoothing) give PyTorch\'s losses and weights', async () => {
  const net = tinyModel();
  const optimizer = new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const x = fromRef(fx.step.x);
  const y = fromRef(fx.step.y);
  try {
    for (const [i, want] of (fx.step.steps as { loss: number; weight: Ref; bias: Ref }[]).entries()) {
      const loss = await torch.train.step(net, optimizer, { x, y }, { labelSmoothing: 0.1 });
      assertClose(loss.item(), [want.loss], { rtol: 1e-6, atol: 0, what: `step ${i + 1} loss` });
      loss.dispose();
      const sd = net.stateDict();
      assertClose(sd.get('1.weight')!.toArray(), flatData(want.weight.data), { rtol: 1e-6, atol: 1e-7, what: `weight after step ${i + 1}` });
      assertClose(sd.get('1.bias')!.toArray(), flatData(want.bias.data), { rtol: 1e-6, atol: 1e-7, what: `bias after step ${i + 1}` });
    }
  } finally {
    for (const t of [x, y]) t.dispose();
    net.dispose();
  }
});

test('train.evaluate: the normalised batch\'s mean cross entropy and top-1 accuracy are PyTorch\'s; the model\'s mode is restored', () => {
  const e = fx.evaluate;
  const net = tinyModel();
  const images = fromRef(e.images);
  const labels = fromRef(e.labels);
  const data = new torch.data.ImagePipeline({ images, labels, batchSize: 4, mean: e.mean, std: e.std });
  try {
    net.train();
    const r = torch.train.evaluate(net, data, { amp: 'none', tta: false, device: 'cpu' });
    assertClose(r.loss, [e.loss], { rtol: 1e-6, atol: 0, what: 'loss' });
    assert.equal(r.accuracy, e.accuracy);
    assert.equal(net.training, true);
  } finally {
    data.dispose();
    for (const t of [images, labels]) t.dispose();
    net.dispose();
  }
});

const validState = () => ({
  epoch: 1, batch: 0, step: 4, optimizer: {}, ema: null, history: [], best: null,
  partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
  config: { model: 'resnet20', epochs: 2, batchSize: 16, seed: 0, lr: 0.2, logEvery: 20 },
});

test('parseTrainState: a checkpoint\'s state is checked field by field, a bad one named in a CheckpointError', () => {
  const ok = torch.train.parseTrainState(validState(), 'x.state.safetensors');
  assert.deepEqual(ok.steps, []);
  const bad = (change: (s: any) => void, message: string) => {
    const s: any = validState();
    change(s);
    assert.throws(() => torch.train.parseTrainState(s, 'runs/a/last.state.safetensors'), (e: any) => {
      assert.ok(e instanceof torch.CheckpointError, String(e));
      assert.equal(e.file, 'runs/a/last.state.safetensors');
      assert.equal(e.message, message);
      return true;
    });
  };
  bad((s) => delete s.history, 'runs/a/last.state.safetensors holds a training state whose field history is wrong: Invalid input: expected array, received undefined (received undefined)');
  bad((s) => { s.config.batchSize = 0; }, 'runs/a/last.state.safetensors holds a training state whose field config.batchSize is wrong: Too small: expected number to be >0 (received 0 of type number)');
  bad((s) => { s.partial.seen = 'many'; }, "runs/a/last.state.safetensors holds a training state whose field partial.seen is wrong: Invalid input: expected number, received string (received 'many' of type string)");
});

test('a Trainer trains a Module of its own on data of its own (a TensorDataset and a length+get Dataset), on the calling thread', async () => {
  const out = tmp('own');
  torch.manualSeed(7);
  // 40 images 3x8x8 in two classes told apart by brightness
  const labels = torch.tensor(Array.from({ length: 40 }, (_, i) => i % 2), { dtype: 'int64' });
  const images = torch.tidy(() => torch.rand([40, 3, 8, 8]).mul(100).add(labels.view([40, 1, 1, 1]).mul(150)).to({ dtype: 'uint8' }));
  const testSet = { length: 8, get: (i: number) => ({ image: images.narrow(0, i, 1).squeeze(0), label: i % 2 }) };
  const model = new torch.nn.Sequential(new torch.nn.Flatten(), new torch.nn.Linear({ inFeatures: 192, outFeatures: 2 }));
  try {
    const trainer = new torch.Trainer({ model, data: { train: { images, labels }, test: testSet, mean: [0.5, 0.5, 0.5], std: [0.3, 0.3, 0.3], classes: ['dark', 'light'] },
      epochs: 3, batchSize: 8, lr: 0.05, device: 'cpu', out, schedule: 'constant', tta: false });
    assert.equal(trainer.thread, 'main');
    const r = await trainer.fit();
    assert.equal(r.epochs, 3);
    assert.equal(trainer.model, model);
    assert.equal(r.testAccuracy, 1, JSON.stringify(r.history));
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.equal(config.model, 'custom');
    assert.equal(config.data, 'custom');
    assert.equal(config.epochs, 3);
    const meta = torch.loadMetadata(path.join(out, 'last.safetensors'));
    assert.deepEqual([meta.model, meta.numClasses, meta.inputSize, meta.classes], ['custom', '2', '8x8', '["dark","light"]']);
    // the caller's tensors are still theirs
    assert.equal(images.shape[0], 40);
    assert.throws(() => new torch.Trainer({ model, device: 'cpu' }, { thread: 'worker' }),
      { name: 'TypeError', message: "Expected thread 'main' for a model or data given as objects (they cannot move to a worker thread) but received 'worker'" });
    assert.throws(() => new torch.Trainer({ data: { train: 5 } as never, device: 'cpu' }),
      { name: 'TypeError', message: 'Expected a Dataset or TensorDataset for data.train but received 5 of type number' });
  } finally {
    model.dispose();
    for (const t of [images, labels]) t.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});

test('torchnode train --data imagefolder: mixed PNG and JPEG of any size train and evaluate; --init-from fine-tunes onto three classes with a new final layer', async () => {
  const { default: sharp } = await import('sharp');
  const dir = tmp('folder');
  // class 'dark' and class 'light' (and 'mid' for fine-tuning), each image its own size and format
  const write = async (file: string, level: number, w: number, h: number, k: number) => {
    const px = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => Math.max(0, Math.min(255, level + ((i * 7 + k * 13) % 40) - 20))));
    const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
    await (file.endsWith('.png') ? img.png() : img.jpeg({ quality: 95 })).toFile(file);
  };
  const folder = async (root: string, classes: Record<string, number>, n: number) => {
    for (const [name, level] of Object.entries(classes)) {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(path.join(root, name), { recursive: true });
      for (let k = 0; k < n; k++) await write(path.join(root, name, `${k}.${k % 2 ? 'jpg' : 'png'}`), level, 10 + k, 14 - (k % 3), k);
    }
  };
  try {
    await folder(path.join(dir, 'two', 'train'), { dark: 40, light: 210 }, 12);
    await folder(path.join(dir, 'two', 'val'), { dark: 40, light: 210 }, 4);
    await folder(path.join(dir, 'three'), { dark: 40, light: 210, mid: 125 }, 8);
    const cli = path.join(path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..'), 'dist', 'cli.js');
    const { spawnSync } = await import('node:child_process');
    const common = ['--model', 'resnet20', '--image-size', '8', '--batch-size', '8', '--device', 'cpu', '--lr', '0.05', '--no-tta'];
    const first = spawnSync(process.execPath, [cli, 'train', '--data', `imagefolder:${path.join(dir, 'two')}`, ...common, '--epochs', '3',
      '--out', path.join(dir, 'run'), '--json', '--quiet'], { encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    const r = JSON.parse(first.stdout.trim().split('\n').at(-1)!);
    assert.equal(r.epochs, 3);
    assert.equal(typeof r.metrics[0].testAccuracy, 'number');
    const meta = torch.loadMetadata(path.join(dir, 'run', 'last.safetensors'));
    assert.deepEqual([meta.model, meta.numClasses, meta.inputSize, meta.classes], ['resnet20', '2', '8x8', '["dark","light"]']);

    // eval finds the data in the run's config.json (the folder's val/), resized and normalised as the checkpoint says
    const evalArgs = [cli, 'eval', '--checkpoint', path.join(dir, 'run', 'last.safetensors'), '--device', 'cpu', '--no-tta', '--json'];
    const evaluated = spawnSync(process.execPath, evalArgs, { encoding: 'utf8' });
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const e = JSON.parse(evaluated.stdout);
    assert.deepEqual([e.data, e.images], [`imagefolder:${path.join(dir, 'two')}`, 8]);
    assert.equal(e.testAccuracy, r.metrics.at(-1).testAccuracy);
    await folder(path.join(dir, 'wrong', 'val'), { a: 40, b: 125, c: 210 }, 1);
    for (const [data, message] of [
      [`imagefolder:${path.join(dir, 'three')}`, `torchnode eval: Expected a val/ or test/ folder in ${path.join(dir, 'three')} to evaluate on, but it has neither`],
      [`imagefolder:${path.join(dir, 'wrong')}`, `torchnode eval: ${path.join(dir, 'run', 'last.safetensors')} has 2 classes but imagefolder:${path.join(dir, 'wrong')} has 3 (a, b, c)`],
    ]) {
      const bad = spawnSync(process.execPath, [...evalArgs, '--data', data!], { encoding: 'utf8' });
      assert.equal(bad.status, 2, bad.stderr);
      assert.equal(bad.stderr.trim().split('\n')[0], `${message} (see torchnode eval --help)`);
    }

    const tuned = spawnSync(process.execPath, [cli, 'train', '--data', `imagefolder:${path.join(dir, 'three')}`, ...common, '--epochs', '1',
      '--init-from', path.join(dir, 'run', 'last.safetensors'), '--num-classes', '3', '--limit-test', '0', '--out', path.join(dir, 'tuned')], { encoding: 'utf8' });
    assert.equal(tuned.status, 0, tuned.stderr);
    assert.ok(tuned.stderr.includes(`torchnode: initialised from ${path.join(dir, 'run', 'last.safetensors')}; new fc.weight, fc.bias (the weights file's are another shape)\n`), tuned.stderr);
    const before = torch.load(path.join(dir, 'run', 'last.safetensors'));
    const after = torch.load(path.join(dir, 'tuned', 'last.safetensors'));
    assert.deepEqual(after.get('fc.weight')!.shape, [3, 64]);
    // the trunk started from the checkpoint: the first convolution moved by one epoch's steps only
    const moved = torch.tidy(() => after.get('conv1.weight')!.sub(before.get('conv1.weight')!).abs().max().item() as number);
    assert.ok(moved > 0 && moved < 0.05, `conv1 moved by ${moved}`);
    for (const t of [...before.values(), ...after.values()]) t.dispose();
    const bad = spawnSync(process.execPath, [cli, 'train', '--data', `imagefolder:${path.join(dir, 'three')}`, ...common, '--num-classes', '2', '--out', path.join(dir, 'bad')], { encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stderr);
    assert.ok(bad.stderr.includes('Expected at least 3 (the data\'s classes) for numClasses but received 2'), bad.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
