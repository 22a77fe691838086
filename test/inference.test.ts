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

test('forwardAsync gives exactly the eager eval-mode forward, and leaves the mode as it was', async () => {
  const m = trainedResnet20();
  const x = torch.randn([6, 3, 32, 32]);
  const eager = torch.noGrad(() => {
    m.eval();
    const y = m.forward(x);
    m.train();
    return y;
  });
  const y = await m.forwardAsync(x);
  assert.equal(m.training, true);
  assert.equal(y.requiresGrad, false);
  assert.deepEqual(y.shape, [6, 10]);
  assert.deepEqual(Array.from(y.toTypedArray() as Float32Array), Array.from(eager.toTypedArray() as Float32Array));
  // a second call replays the same recording; other batch sizes too
  const y3 = await m.forwardAsync(x.narrow(0, 2, 3));
  assert.deepEqual(y3.toArray(), eager.narrow(0, 2, 3).toArray());
  for (const t of [x, eager, y, y3]) t.dispose();
  m.dispose();
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
