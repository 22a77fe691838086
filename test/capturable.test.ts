// The capturable training step (static buffers, lr in a device tensor, no syncs) against the eager loop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { after } from 'node:test';

import * as torch from 'torchnode';
import type { EpochResult, FitResult } from '../lib/train/trainer.js';

const quiet = () => new torch.train.Progress(process.stderr, true);
const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `torchnode-${name}-`));
const figures = (r: FitResult) => r.history.map((m: EpochResult) => [m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy]);

/** Every tensor of two weight files, bit for bit (as raw bytes). */
function assertSameWeights(a: string, b: string): void {
  const wa = torch.load(path.join(a, 'last.safetensors'));
  const wb = torch.load(path.join(b, 'last.safetensors'));
  try {
    assert.deepEqual([...wa.keys()], [...wb.keys()]);
    for (const [name, t] of wa) assert.ok(Buffer.from(t.toTypedArray().buffer).equals(Buffer.from(wb.get(name)!.toTypedArray().buffer)), `${name} differs`);
  } finally {
    for (const t of [...wa.values(), ...wb.values()]) t.dispose();
  }
}

async function run(options: torch.train.TrainOptions, out: string, losses: number[] = [], signal?: AbortSignal, stopAt?: () => void) {
  return new torch.Trainer({ ...options, out }, { progress: quiet(), thread: 'main' }).fit({
    signal, onBatchEnd: (s) => { losses.push(s.loss); stopAt?.(); },
  });
}

// OneCycle changes the rate every step: the capturable run follows it through the lr tensor
const small = { model: 'resnet20', epochs: 2, batchSize: 64, limitTrain: 320, limitTest: 128, device: 'cpu', seed: 5, logEvery: 1, ema: 0.9 } as const;

/** Runs `fn` with fresh output folders named `names`, removed afterwards. */
async function withDirs(names: string[], fn: (...dirs: string[]) => Promise<void>): Promise<void> {
  const dirs = names.map(tmp);
  try {
    await fn(...dirs);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

// The eager run of `small`, trained once and compared against by two tests.
const eagerSmall = { dir: tmp('eager'), losses: [] as number[], result: null as Promise<FitResult> | null };
const eagerBaseline = () => (eagerSmall.result ??= run(small, eagerSmall.dir, eagerSmall.losses));
after(() => rmSync(eagerSmall.dir, { recursive: true, force: true }));

test('the capturable step trains exactly as the eager loop: every logged loss, the epoch figures and the weights bit for bit', () =>
  withDirs(['capturable'], async (captured) => {
    const capturedLosses: number[] = [];
    const proto = torch.train.CapturableStep.prototype;
    const original = proto.run;
    let captureSteps = 0;
    proto.run = function (this: torch.train.CapturableStep) { captureSteps++; original.call(this); };
    let a: FitResult;
    let b: FitResult;
    try {
      a = await eagerBaseline();
      assert.equal(captureSteps, 0);
      b = await run({ ...small, capturable: true }, captured!, capturedLosses);
    } finally {
      proto.run = original;
    }
    assert.equal(captureSteps, 10, 'every step of the second run went through CapturableStep');
    assert.equal(eagerSmall.losses.length, 10);
    assert.deepEqual(capturedLosses, eagerSmall.losses);
    assert.deepEqual(figures(b), figures(a));
    assertSameWeights(eagerSmall.dir, captured!);
  }));

test('the capturable step under bf16 autocast equals the eager bf16 loop', () =>
  withDirs(['eager-bf16', 'capturable-bf16'], async (eager, captured) => {
    const options = { ...small, epochs: 1, limitTrain: 128, limitTest: 64, amp: 'bf16' } as const;
    const a = await run(options, eager!);
    const b = await run({ ...options, capturable: true }, captured!);
    assert.deepEqual(figures(b), figures(a));
    assertSameWeights(eager!, captured!);
  }));

test('a capturable run stopped mid-epoch and resumed ends exactly where the uninterrupted eager run does', () =>
  withDirs(['capturable-resume'], async (stopped) => {
    const a = await eagerBaseline();
    const stop = new AbortController();
    let batches = 0;
    const first = await run({ ...small, capturable: true }, stopped!, [], stop.signal, () => { if (++batches === 3) stop.abort(); });
    assert.equal(first.interrupted, true);
    const rest = await run({ ...small, capturable: true, resume: true }, stopped!);
    assert.deepEqual(figures(rest), figures(a));
    assertSameWeights(eagerSmall.dir, stopped!);
  }));

/** A small conv net on random data: the step on its own against a hand-written eager loop. */
function tinyNet(): torch.nn.Module {
  torch.manualSeed(11);
  return new torch.nn.Sequential(
    new torch.nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 }), new torch.nn.BatchNorm2d({ numFeatures: 8 }),
    new torch.nn.ReLU(), new torch.nn.AdaptiveAvgPool2d({ outputSize: 1 }), new torch.nn.Flatten(), new torch.nn.Linear({ inFeatures: 8, outFeatures: 10 }));
}

test('CapturableStep keeps its buffers and follows setLr; parameters and metrics equal an eager SGD loop', () => {
  torch.manualSeed(1);
  const batches = Array.from({ length: 5 }, () => ({ x: torch.keep(torch.randn([16, 3, 8, 8])), y: torch.keep(torch.randint(0, 10, [16])) }));
  const rates = [0.05, 0.2, 0.1, 0.01, 0.3];
  const hyper = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 };

  const eager = tinyNet();
  const eagerOpt = new torch.optim.SGD(eager.parameters(), hyper);
  let lossSum = 0;
  let correct = 0;
  batches.forEach(({ x, y }, i) => torch.tidy(() => {
    eagerOpt.lr = rates[i]!;
    const logits = eager.forward(x);
    const loss = torch.nn.functional.crossEntropy(logits, y, { labelSmoothing: 0.1 });
    loss.backward();
    eagerOpt.step();
    eagerOpt.zeroGrad();
    lossSum += (loss.double().mul(16).item() as number);
    correct += logits.argmax(1).eq(y).sum().item() as number;
  }));

  const model = tinyNet();
  const opt = new torch.optim.SGD(model.parameters(), hyper);
  const step = new torch.train.CapturableStep(model, opt, { batchSize: 16, inputShape: [3, 8, 8], labelSmoothing: 0.1 });
  try {
    assert.equal(opt.lrTensor, step.lr);
    batches.forEach(({ x, y }, i) => {
      step.setLr(rates[i]!);
      step.load(x, y);
      step.run();
    });
    assert.equal(step.lr.item(), Math.fround(0.3));
    const m = step.metrics();
    assert.equal(m.seen, 80);
    assert.equal(m.loss, lossSum / 80);
    assert.equal(m.accuracy, correct / 80);
    const mine = model.stateDict();
    for (const [name, t] of eager.stateDict()) assert.deepEqual(mine.get(name)!.toArray(), t.toArray(), name);
    // gradients stay allocated (zeroed in place) so their storage does not move between steps
    for (const p of model.parameters()) assert.equal(p.grad!.abs().sum().item(), 0);
    step.resetMetrics();
    assert.deepEqual(step.metrics(), { loss: NaN, accuracy: NaN, seen: 0 });
  } finally {
    step.dispose();
    for (const b of batches) { b.x.dispose(); b.y.dispose(); }
  }
  assert.equal(opt.lrTensor, null, 'dispose() gives the optimizer its number lr back');
  assert.throws(() => step.run(), { name: 'TypeError', message: 'CapturableStep: used after dispose()' });
});

test('CapturableStep refuses what it cannot capture, with messages that say why', () => {
  const model = tinyNet();
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
  const step = new torch.train.CapturableStep(model, opt, { batchSize: 4, inputShape: [3, 8, 8] });
  try {
    torch.tidy(() => {
      assert.throws(() => step.load(torch.zeros([3, 3, 8, 8]), torch.zeros([3], { dtype: 'int64' })), {
        name: 'TypeError',
        message: 'Expected a batch of shape [4, 3, 8, 8] for x but received [3, 3, 8, 8] (a capturable step has static shapes: drop or pad the last partial batch)',
      });
      assert.throws(() => step.load(torch.zeros([4, 3, 8, 8]), 'labels' as never), { name: 'TypeError', message: "Expected a Tensor for y but received 'labels' of type string" });
    });
  } finally {
    step.dispose();
  }
  const adam = new torch.optim.AdamW(model.parameters(), { lr: 1e-3 });
  assert.throws(() => new torch.train.CapturableStep(model, adam as never, { batchSize: 4, inputShape: [3, 8, 8] }), {
    name: 'TypeError', message: /^Expected a torchnode\.optim\.SGD for optimizer but received .*AdamW's bias correction reads the host\)$/,
  });
  assert.throws(() => new torch.train.CapturableStep(model, opt, { batchSize: 0, inputShape: [3, 8, 8] }), { name: 'TypeError', message: /batchSize/ });
  const sgdw = new torch.optim.SGD(model.parameters(), { lr: 0.1, weightDecay: 0.01, decoupledWeightDecay: true });
  torch.tidy(() => {
    assert.throws(() => { sgdw.lrTensor = torch.tensor(0.1); }, {
      name: 'TypeError', message: 'SGD.lrTensor: decoupled weight decay scales parameters by 1 - lr * weightDecay on the host; use a number lr with it',
    });
    assert.throws(() => { opt.lrTensor = torch.tensor([0.1]); }, { name: 'TypeError', message: /^Expected a 0-d floating-point Tensor or null for lrTensor but received / });
  });
  const worldSize = process.env.WORLD_SIZE;
  process.env.WORLD_SIZE = '2';
  try {
    assert.throws(() => torch.train.resolveConfig({ capturable: true, device: 'cpu' }), {
      name: 'TypeError', message: 'capturable does not run under torchnode launch yet: DDP averages the gradients between backward and the update, outside the step',
    });
  } finally {
    if (worldSize === undefined) delete process.env.WORLD_SIZE;
    else process.env.WORLD_SIZE = worldSize;
  }
  assert.throws(() => torch.train.resolveConfig({ capturable: true, optimizer: 'adamw', device: 'cpu' }), {
    name: 'TypeError', message: "capturable needs optimizer 'sgd' (AdamW's bias correction reads the step count on the host)",
  });
});
