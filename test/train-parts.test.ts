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
