// forwardAsync/predict: the eval-mode forward recorded once per shape, replayed off the JS thread.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

function trainedResnet20(): torch.nn.Module {
  torch.manualSeed(0);
  const m = torch.models.resnet20();
  // move the batch-norm statistics so eval mode differs from train mode
  torch.tidy(() => torch.noGrad(() => m.forward(torch.randn([8, 3, 32, 32]).mul(2).add(1))));
  return m;
}

/** A ResNet-20 whose batch-norm statistics and affine parameters are off their defaults, in eval mode. */
function trainedLookingResnet20(): torch.nn.Module {
  torch.manualSeed(3);
  const model = torch.models.resnet20();
  torch.tidy(() => torch.noGrad(() => {
    for (let i = 0; i < 3; i++) model.forward(torch.randn([16, 3, 32, 32]).mul(2).add(0.5));
    for (const [name, t] of model.stateDict()) if (/bn\d?\.(weight|bias)$|downsample\.1\.(weight|bias)$/.test(name)) t.copy_(torch.randn(t.shape).mul(0.3).add(name.endsWith('weight') ? 1 : 0));
  }));
  return model.eval();
}

const maxAbs = (a: torch.Tensor, b: torch.Tensor) => torch.tidy(() => a.sub(b).abs().max().item() as number);

test('forwardAsync with optimize: false gives exactly the eager eval-mode forward, and leaves the mode as it was', async () => {
  const m = trainedResnet20();
  const x = torch.randn([6, 3, 32, 32]);
  const eager = torch.noGrad(() => {
    m.eval();
    const y = m.forward(x);
    m.train();
    return y;
  });
  const y = await m.forwardAsync(x, { optimize: false });
  assert.equal(m.training, true);
  assert.equal(y.requiresGrad, false);
  assert.deepEqual(y.shape, [6, 10]);
  assert.deepEqual(Array.from(y.toTypedArray() as Float32Array), Array.from(eager.toTypedArray() as Float32Array));
  // a second call replays the same recording; other batch sizes too
  const y3 = await m.forwardAsync(x.narrow(0, 2, 3), { optimize: false });
  assert.deepEqual(y3.toArray(), eager.narrow(0, 2, 3).toArray());
  await assert.rejects(m.forwardAsync(x, { optimize: 1 as never }), { name: 'TypeError', message: 'Expected a boolean for optimize but received 1 of type number' });
  for (const t of [x, eager, y, y3]) t.dispose();
  m.dispose();
});

test('forwardAsync and predict replay the optimised forward on CPU, made again after the weights change or are replaced', async () => {
  const m = trainedLookingResnet20();
  const x = torch.randn([3, 3, 32, 32]);
  const eagerOf = () => torch.noGrad(() => m.forward(x));
  const fastOf = () => m.optimizeForInference({ inputShape: [3, 32, 32] }).forward(x);
  const same = (a: torch.Tensor, b: torch.Tensor) => assert.deepEqual(Array.from(a.toTypedArray() as Float32Array), Array.from(b.toTypedArray() as Float32Array));

  // by default: what optimizeForInference computes, bit for bit, and within 1e-4 of eager
  const eager1 = eagerOf();
  const y1 = await m.forwardAsync(x);
  same(y1, fastOf());
  assert.ok(maxAbs(y1, eager1) < 1e-4, `${maxAbs(y1, eager1)}`);
  const probs = await m.predict(x);
  assert.ok(maxAbs(probs, eager1.softmax(1)) < 1e-5);

  // an in-place change (as an optimizer step makes): the next call replays the weights as they
  // are (exactly eager), the one after that the optimised copy of the new weights
  torch.noGrad(() => { for (const p of m.parameters()) p.mul_(0.9); });
  const eager2 = eagerOf();
  assert.ok(maxAbs(eager2, eager1) > 1e-3);
  same(await m.forwardAsync(x), eager2);
  const y2 = await m.forwardAsync(x);
  same(y2, fastOf());
  assert.ok(maxAbs(y2, eager2) < 1e-4);

  // loadStateDict copies into the same tensors: seen the same way
  const other = trainedResnet20().eval();
  m.loadStateDict(other.stateDict());
  const eager3 = torch.noGrad(() => other.forward(x));
  same(await m.forwardAsync(x), eager3);
  assert.ok(maxAbs(await m.forwardAsync(x), eager3) < 1e-4);
  other.dispose();
  m.dispose();
  x.dispose();
});

test('a replaced parameter makes the next forwardAsync record again', async () => {
  class Scale extends torch.nn.Module {
    weight = this.registerParameter('weight', torch.ones([4]));
    swap(t: torch.Tensor) {
      this.replaceTensor('weight', t);
    }
    forward(x: torch.Tensor) {
      return x.mul(this.parameters()[0]!);
    }
  }
  const m = new Scale();
  const x = torch.ones([2, 4]);
  assert.deepEqual((await m.forwardAsync(x)).toArray(), [[1, 1, 1, 1], [1, 1, 1, 1]]);
  m.swap(torch.full([4], 3));
  assert.deepEqual((await m.forwardAsync(x)).toArray(), [[3, 3, 3, 3], [3, 3, 3, 3]]);
  assert.deepEqual((await m.forwardAsync(x, { optimize: false })).toArray(), [[3, 3, 3, 3], [3, 3, 3, 3]]);
});

test('predict gives class probabilities; batchSize splits the work without changing the result', async () => {
  const m = trainedResnet20();
  const x = torch.randn([7, 3, 32, 32]);
  const whole = await m.predict(x);
  const split = await m.predict(x, { batchSize: 3 });
  assert.deepEqual(whole.shape, [7, 10]);
  for (const s of whole.sum(1).toArray() as number[]) assert.ok(Math.abs(s - 1) < 1e-6);
  const a = whole.toTypedArray() as Float32Array;
  const b = split.toTypedArray() as Float32Array;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6);
  await assert.rejects(m.predict(x, { batchSize: 0 }), { name: 'TypeError', message: 'Expected positive integer for batchSize but received 0 of type number' });
  for (const t of [x, whole, split]) t.dispose();
  m.dispose();
});

test('the JS thread keeps running while the forward computes', async () => {
  const m = trainedResnet20();
  const x = torch.randn([64, 3, 32, 32]);
  await m.forwardAsync(x.narrow(0, 0, 1)).then((t) => t.dispose()); // record first
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const y = await m.forwardAsync(x);
  clearInterval(timer);
  assert.ok(ticks > 0, 'timers ran while the batch was computed');
  y.dispose();
  x.dispose();
  m.dispose();
});

test('bad inputs are rejected with clear errors and nothing leaks', async () => {
  const m = trainedResnet20();
  const before = torch.memory().liveTensors;
  await assert.rejects(m.forwardAsync(5 as never), { name: 'TypeError', message: 'Expected a Tensor for input but received 5 of type number' });
  const wrong = torch.randn([2, 4, 32, 32]);
  await assert.rejects(m.forwardAsync(wrong), (e: Error) => e instanceof torch.TorchError && /expected input\[1, 4, 32, 32\] to have 3 channels, but got 4 channels instead/.test(e.message));
  const empty = torch.zeros([0, 3, 32, 32]);
  await assert.rejects(m.forwardAsync(empty), { name: 'TypeError', message: 'Expected a batch (a tensor whose first dimension is at least 1) for input but received shape [0, 3, 32, 32]' });
  wrong.dispose();
  empty.dispose();
  assert.equal(torch.memory().liveTensors, before);
  // a failed recording leaves no trace open: the next call works
  const ok = torch.randn([2, 3, 32, 32]);
  (await m.forwardAsync(ok)).dispose();
  ok.dispose();
  m.dispose();
});

test('a forward that bakes in the batch size is refused instead of giving a wrong batch', async () => {
  class Flat extends torch.nn.Module {
    forward(x: torch.Tensor) {
      // PyTorch users sometimes write x.view(x.shape[0], -1): recorded with one sample, it is wrong for more
      return x.view(x.shape[0]!, -1);
    }
  }
  const x = torch.randn([4, 3]);
  await assert.rejects(new Flat().forwardAsync(x), {
    name: 'TorchError',
    message: "forwardAsync: the model's forward depends on the batch size (a batch of 4 gave 1 results); use forward() instead",
  });
  x.dispose();
});

test('Module.to() makes the next forwardAsync record again for the new dtype', async () => {
  const m = trainedResnet20();
  const x = torch.randn([2, 3, 32, 32]);
  const y32 = await m.forwardAsync(x);
  m.to('float64');
  const x64 = x.double();
  const y64 = await m.forwardAsync(x64);
  assert.equal(y64.dtype, 'float64');
  const a = y32.toTypedArray() as Float32Array;
  const b = y64.toTypedArray() as Float64Array;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4);
  for (const t of [x, x64, y32, y64]) t.dispose();
  m.dispose();
});


test('optimizeForInference: batch norms folded, channels-last, within 1e-4 of the eager module (forward, forwardAsync, predict), any batch size', async () => {
  const model = trainedLookingResnet20();
  const before = torch.memory().liveTensors;
  // folding alone here (step counts); the fused convolutions have their own tests (inference-fused.test.ts)
  const fast = model.optimizeForInference({ inputShape: [3, 32, 32], fuse: false });
  const bns = [...model.namedModules()].filter(([, m]) => m instanceof torch.nn.BatchNorm2d).length;
  assert.equal(fast.info.foldedBatchNorms, bns);
  assert.equal(fast.info.steps, fast.info.eagerSteps - bns);
  assert.ok(!fast.info.ops.includes('aten::batch_norm'), fast.info.ops.join(' '));
  for (const n of [1, 5, 32]) {
    const x = torch.randn([n, 3, 32, 32]);
    const eager = torch.noGrad(() => model.forward(x));
    const sync = fast.forward(x);
    const async = await fast.forwardAsync(x, { batchSize: 3 });
    const probs = await fast.predict(x);
    const eagerProbs = eager.softmax(1);
    assert.deepEqual(sync.shape, [n, 10]);
    assert.ok(maxAbs(sync, eager) < 1e-4, `batch ${n}: ${maxAbs(sync, eager)}`);
    assert.ok(maxAbs(async, eager) < 1e-4, `batch ${n}, batchSize 3: ${maxAbs(async, eager)}`);
    assert.ok(maxAbs(probs, eagerProbs) < 1e-5);
    // a normal tensor, not an inference one: in-place changes and autograd work on it
    sync.add_(1);
    for (const t of [x, eager, sync, async, probs, eagerProbs]) t.dispose();
  }
  // the copy is frozen: later changes to the module do not reach it
  const x = torch.randn([2, 3, 32, 32]);
  const was = fast.forward(x);
  torch.noGrad(() => model.parameters()[0]!.mul_(2));
  const after = fast.forward(x);
  assert.equal(maxAbs(was, after), 0);
  for (const t of [x, was, after]) t.dispose();
  // the folded and reordered weights live in the native copy, not as JS tensors; nothing is left per call
  assert.equal(torch.memory().liveTensors, before);
  model.dispose();
});

test('optimizeForInference: a user module folds what follows a convolution and leaves other batch norms; bf16 within bf16 rounding', async () => {
  class Net extends torch.nn.Module {
    stem = this.registerModule('stem', new torch.nn.Sequential(new torch.nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, bias: true }),
      new torch.nn.BatchNorm2d({ numFeatures: 8 }), new torch.nn.ReLU()));
    pre = this.registerModule('pre', new torch.nn.BatchNorm2d({ numFeatures: 3 }));
    head = this.registerModule('head', new torch.nn.Linear({ inFeatures: 8 * 8 * 8 + 3 * 8 * 8, outFeatures: 4 }));
    forward(x: torch.Tensor): torch.Tensor {
      const a = this.stem.forward(x).flatten(1);
      const b = this.pre.forward(x).flatten(1); // a batch norm with no convolution before it
      return this.head.forward(torch.cat([a, b], 1));
    }
  }
  torch.manualSeed(5);
  const net = new Net();
  torch.tidy(() => torch.noGrad(() => net.forward(torch.randn([8, 3, 8, 8]).mul(3).add(1))));
  net.eval();
  const x = torch.randn([4, 3, 8, 8]);
  const eager = torch.noGrad(() => net.forward(x));
  const fast = net.optimizeForInference({ inputShape: [3, 8, 8] });
  assert.equal(fast.info.foldedBatchNorms, 1);
  assert.equal(fast.info.ops.filter((o) => o === 'aten::batch_norm').length, 1);
  const out = fast.forward(x);
  assert.ok(maxAbs(out, eager) < 1e-4);
  const bf16 = net.optimizeForInference({ inputShape: [3, 8, 8], dtype: 'bfloat16' });
  const low = bf16.forward(x);
  assert.equal(low.dtype, 'float32');
  const scale = torch.tidy(() => eager.abs().max().item() as number);
  assert.ok(maxAbs(low, eager) < 0.05 * scale, `bf16: ${maxAbs(low, eager)} of ${scale}`);
  const plain = net.optimizeForInference({ inputShape: [3, 8, 8], foldBatchNorm: false, channelsLast: false });
  assert.equal(plain.info.foldedBatchNorms, 0);
  assert.equal(plain.info.steps, plain.info.eagerSteps);
  for (const t of [x, eager, out, low]) t.dispose();
  net.dispose();
});

test('optimizeForInference: bad options and inputs are TypeErrors that say what was expected', async () => {
  const model = torch.models.resnet20().eval();
  assert.throws(() => model.optimizeForInference({} as never), { name: 'TypeError', message: /inputShape/ });
  assert.throws(() => model.optimizeForInference({ inputShape: [3, 32, 32], dtype: 'float16' as never }),
    { name: 'TypeError', message: "Expected 'float32' or 'bfloat16' for dtype but received 'float16' of type string" });
  const fast = model.optimizeForInference({ inputShape: [3, 32, 32] });
  const wrong = torch.randn([2, 3, 16, 16]);
  assert.throws(() => fast.forward(wrong), { name: 'TypeError', message: 'InferenceModel.forward(): expected a batch of [3, 32, 32] samples ([N, 3, 32, 32]) but received shape [2, 3, 16, 16]' });
  await assert.rejects(fast.forwardAsync(wrong), { name: 'TypeError', message: 'InferenceModel.forwardAsync(): expected a batch of [3, 32, 32] samples ([N, 3, 32, 32]) but received shape [2, 3, 16, 16]' });
  const doubles = torch.randn([2, 3, 32, 32], { dtype: 'float64' });
  assert.throws(() => fast.forward(doubles), { name: 'TypeError', message: 'InferenceModel.forward(): expected a float32 input but received float64' });
  assert.throws(() => fast.forward([1, 2] as never), { name: 'TypeError', message: /^InferenceModel\.forward\(\): expected a Tensor for input but received / });
  await assert.rejects(fast.predict(torch.randn([1, 3, 32, 32]), { batchSize: 0 }), { name: 'TypeError', message: /batchSize/ });
  for (const t of [wrong, doubles]) t.dispose();
  model.dispose();
});
