// examples/ported/train.ts, the line-for-line port of examples/ported/train.py, against what that
// PyTorch script printed (test/fixtures/ported.json): every step's loss and learning rate, and the
// top-1/top-5 accuracy after training. Same seed, same init, same kernels: float32 round-off only.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

import { fixturesDir, loadFixture } from './helpers.js';

const root = path.resolve(fixturesDir, '..', '..');
interface Result { losses: number[]; lrs: number[]; top1: number; top5: number }
const ref = loadFixture<Result & { pytorch: string }>('ported.json');

test(`the ported PyTorch script (SGD, OneCycleLR, clipGradNorm_, top-5) trains as it does in PyTorch ${ref.pytorch}`, async () => {
  const { run } = (await import(path.join(root, 'dist', 'examples', 'ported', 'train.js'))) as { run(): Result };
  const before = torch.memory().liveTensors;
  const got = run();
  assert.equal(torch.memory().liveTensors, before, 'the example frees what it makes');
  assert.equal(got.losses.length, 24);
  got.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]!) <= 1e-5, `step ${i}: loss ${l} vs PyTorch ${ref.losses[i]}`));
  got.lrs.forEach((lr, i) => assert.ok(Math.abs(lr - ref.lrs[i]!) <= 1e-12, `step ${i}: lr ${lr} vs PyTorch ${ref.lrs[i]}`));
  // 96 images: a prediction flipped by round-off would move an accuracy by 1/96
  assert.equal(got.top1, ref.top1);
  assert.equal(got.top5, ref.top5);
});

test('modules take PyTorch\'s positional arguments or one options object, and refuse a mix that names one twice', () => {
  const a = new torch.nn.Conv2d(3, 16, [3, 5], { padding: 1, bias: false });
  assert.deepEqual(a.options, new torch.nn.Conv2d({ inChannels: 3, outChannels: 16, kernelSize: [3, 5], padding: 1, bias: false }).options);
  assert.deepEqual(a.weight.shape, [16, 3, 3, 5]);
  assert.equal(a.bias, null);
  assert.deepEqual(new torch.nn.Linear(4, 2).weight.shape, [2, 4]);
  assert.equal(new torch.nn.BatchNorm2d(8, { eps: 1e-3 }).options.eps, 1e-3);
  assert.deepEqual(new torch.nn.GroupNorm(2, 8).weight!.shape, [8]);
  assert.deepEqual(new torch.nn.LayerNorm([4, 4]).normalizedShape, [4, 4]);
  assert.equal(new torch.nn.AvgPool2d(2).options.kernelSize, 2);
  assert.equal(new torch.nn.MaxPool2d(3, { stride: 2 }).options.stride, 2);
  assert.deepEqual(new torch.nn.AdaptiveAvgPool2d([2, 1]).outputSize, [2, 1]);
  assert.equal(new torch.nn.Dropout(0.25).p, 0.25);
  assert.deepEqual(new torch.nn.Flatten(0, 1).options, { startDim: 0, endDim: 1 });
  const C = torch.nn.Conv2d as unknown as new (...args: unknown[]) => unknown;
  assert.throws(() => new C(3, 16, 3, { inChannels: 4 }), { name: 'TypeError', message: 'nn.Conv2d received inChannels twice: as positional argument 1 and in the options' });
  assert.throws(() => new C(3, 16, 3, 1), { name: 'TypeError', message: 'nn.Conv2d takes at most 3 positional arguments (inChannels, outChannels, kernelSize) and an options object, but received 4 arguments' });
  assert.throws(() => new C(3, -1, 3), { name: 'TypeError', message: 'Expected positive integer for outChannels but received -1 of type number' });
  assert.throws(() => new C(3, 16, 3, { padding: 1 }, {}), { name: 'TypeError', message: 'nn.Conv2d takes at most 3 positional arguments (inChannels, outChannels, kernelSize) and an options object, but received 5 arguments' });
});
