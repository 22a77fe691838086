// CUDA graphs, streams and events, and the training step captured in a graph. Without a CUDA
// device the refusals are checked instead; the CUDA tests skip, saying why.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

const available = torch.cuda.isAvailable();
const b = torch.buildInfo;
const whyNot = b.cuda
  ? `no CUDA device: torchnode was built with CUDA ${b.cuda} but libtorch sees no device`
  : `no CUDA device: torchnode was built against libtorch ${b.version} without CUDA`;
const needsCuda = available ? {} : { skip: whyNot };

/** Raw bytes of a tensor (moved to the CPU), for bit-for-bit comparisons. */
const bytes = (t: torch.Tensor): Buffer => torch.tidy(() => Buffer.from(t.to('cpu').toTypedArray().buffer));

test('without a CUDA device, graphs, streams and events are refused with the reason', available ? { skip: 'a CUDA device is available' } : {}, () => {
  const reason = b.cuda ? 'no CUDA device is visible' : `torchnode was built against libtorch ${b.version} without CUDA`;
  const refused = { name: 'TorchError', message: `CUDA is not available: ${reason} (asked for 'cuda')` };
  assert.throws(() => new torch.cuda.CUDAGraph(), refused);
  assert.throws(() => new torch.cuda.Stream(), refused);
  assert.throws(() => new torch.cuda.Event(), refused);
  assert.throws(() => torch.cuda.currentStream(), refused);
  assert.equal(torch.cuda.isCurrentStreamCapturing(), false);
  assert.throws(() => torch.cuda.graph('g' as never, () => 1), { name: 'TypeError', message: "Expected a torch.cuda.CUDAGraph for g but received 'g' of type string" });
  assert.throws(() => new torch.cuda.Stream({ priority: 3 as never }), { name: 'TypeError', message: /priority/ });
});

test('CapturableStep: cudaGraph needs the model on a CUDA device', () => {
  const model = new torch.nn.Linear({ inFeatures: 4, outFeatures: 2 });
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
  assert.throws(() => new torch.train.CapturableStep(model, opt, { batchSize: 2, inputShape: [4], cudaGraph: true }), {
    name: 'TypeError', message: "new CapturableStep(): cudaGraph needs the model on a CUDA device, but it is on 'cpu'",
  });
  const step = new torch.train.CapturableStep(model, opt, { batchSize: 2, inputShape: [4] });
  try {
    torch.tidy(() => step.load(torch.ones([2, 4]), torch.zeros([2], { dtype: 'int64' })));
    step.run();
    step.run();
    step.run();
    step.run();
    assert.equal(step.graphed, false); // on the CPU the step always runs eagerly
    assert.equal(step.seen, 8);
  } finally {
    step.dispose();
  }
});

test('train config: CUDA graphs on by default where the run allows them, refused with the reason where asked for', () => {
  assert.equal(torch.train.resolveConfig({ device: 'cpu' }).cudaGraphs, false);
  assert.throws(() => torch.train.resolveConfig({ device: 'cpu', cudaGraphs: true }), {
    name: 'TypeError', message: "cudaGraphs needs a CUDA device (the run is on 'cpu')",
  });
  const why = torch.train.cudaGraphsWhyNot;
  assert.equal(why({ device: 'cuda', optimizer: 'sgd', amp: 'bf16' }), null);
  assert.equal(why({ device: 'cuda:1', optimizer: 'adamw', amp: 'none' }), "needs optimizer 'sgd' (AdamW's bias correction reads the step count on the host)");
  assert.equal(why({ device: 'cuda', optimizer: 'sgd', amp: 'fp16' }), "needs amp 'none' or 'bf16' (fp16's GradScaler reads the device every step)");
  const worldSize = process.env.WORLD_SIZE;
  process.env.WORLD_SIZE = '2';
  try {
    assert.equal(why({ device: 'cuda', optimizer: 'sgd', amp: 'none' }), 'does not run under torchnode launch yet: DDP averages the gradients between backward and the update, outside the step');
  } finally {
    if (worldSize === undefined) delete process.env.WORLD_SIZE;
    else process.env.WORLD_SIZE = worldSize;
  }
  if (available) {
    const c = torch.train.resolveConfig({ device: 'cuda' });
    assert.equal(c.cudaGraphs, true);
    assert.equal(c.capturable, true);
    assert.equal(torch.train.resolveConfig({ device: 'cuda', optimizer: 'adamw' }).cudaGraphs, false);
  }
});

test('a captured graph replays with new inputs, bit for bit as eager', needsCuda, () => {
  const x = torch.keep(torch.zeros([64, 32], { device: 'cuda' }));
  const w = torch.keep(torch.randn([32, 16], { device: 'cuda' }));
  const g = new torch.cuda.CUDAGraph();
  try {
    const work = () => x.matmul(w).mul(2).add(1).relu().sum(1);
    for (let i = 0; i < 2; i++) torch.tidy(work); // warm-up: cuBLAS picks its kernels
    const y = torch.cuda.graph(g, () => torch.keep(work()));
    assert.equal(g.captured, true);
    for (let i = 0; i < 3; i++) {
      torch.tidy(() => {
        x.copy_(torch.randn([64, 32], { device: 'cuda' }));
        g.replay();
        assert.ok(bytes(y).equals(bytes(work())), `replay ${i} differs from eager`);
      });
    }
    y.dispose();
  } finally {
    g.dispose();
    x.dispose();
    w.dispose();
  }
  assert.throws(() => g.replay(), { name: 'TypeError', message: 'CUDAGraph: used after dispose()' });
  g.dispose(); // twice is fine
});

test('capture errors say what was captured wrongly; the next capture works', needsCuda, () => {
  const x = torch.keep(torch.ones([8], { device: 'cuda' }));
  const cpu = torch.keep(torch.ones([8]));
  const g = new torch.cuda.CUDAGraph();
  try {
    torch.tidy(() => x.add(1)); // warm-up
    assert.throws(() => torch.cuda.graph(g, () => torch.tidy(() => x.sum().item())), {
      name: 'TorchError',
      message: 'CUDA graph capture: aten::item reads a value back to the host, a device sync that a graph cannot capture: read values after capture (or outside the captured function)',
    });
    assert.throws(() => torch.cuda.graph(g, () => torch.tidy(() => x.add(cpu))), {
      name: 'TorchError',
      message: "CUDA graph capture: aten::add.Tensor got a CPU tensor (argument 'other'): work off the GPU is not captured, so a replay would not repeat it; keep every tensor of the captured work on the GPU",
    });
    assert.throws(() => torch.cuda.graph(g, () => torch.tidy(() => x.toTypedArray())), {
      name: 'TorchError',
      message: 'CUDA graph capture: reading a CUDA tensor back to the host is a device sync that a graph cannot capture; read it after capture',
    });
    assert.throws(() => torch.cuda.graph(g, () => torch.cuda.synchronize()), {
      name: 'TorchError',
      message: 'CUDA graph capture: torch.cuda.synchronize() waits for the device, a sync that a graph cannot capture; call it before or after capture',
    });
    assert.throws(() => torch.cuda.graph(g, () => { throw new RangeError('boom'); }), { name: 'TorchError', message: 'CUDA graph capture failed: boom' });
    assert.equal(torch.cuda.isCurrentStreamCapturing(), false);
    assert.equal(g.captured, false);
    // nothing of the failed captures is left: the same graph captures and replays
    const y = torch.cuda.graph(g, () => torch.keep(x.add(1)));
    x.fill_(41);
    g.replay();
    assert.deepEqual(y.toArray(), Array(8).fill(42));
    y.dispose();
    assert.throws(() => g.captureBegin(), { name: 'TorchError', message: 'CUDAGraph.captureBegin(): this graph holds a capture already; reset() it first' });
    g.reset();
    assert.throws(() => g.replay(), { name: 'TorchError', message: 'CUDAGraph.replay(): nothing was captured' });
  } finally {
    g.dispose();
    x.dispose();
    cpu.dispose();
  }
});

test('graphs captured into one memory pool replay in order', needsCuda, () => {
  const x = torch.keep(torch.full([1024], 3, { device: 'cuda' }));
  const g1 = new torch.cuda.CUDAGraph();
  const g2 = new torch.cuda.CUDAGraph();
  try {
    const a = torch.cuda.graph(g1, () => torch.keep(x.mul(2)));
    const c = torch.cuda.graph(g2, () => torch.keep(a.add(1)), { pool: g1.pool() });
    x.fill_(5);
    g1.replay();
    g2.replay();
    assert.deepEqual(c.toArray(), Array(1024).fill(11));
    a.dispose();
    c.dispose();
    const pool = torch.cuda.graphPoolHandle();
    assert.equal(pool.length, 2);
  } finally {
    g1.dispose();
    g2.dispose();
    x.dispose();
  }
});

test('streams and events: current stream scopes, waits and timing', needsCuda, () => {
  const s = new torch.cuda.Stream();
  const main = torch.cuda.currentStream();
  assert.equal(s.device, 0);
  assert.equal(s.equals(main), false);
  assert.equal(main.equals(torch.cuda.defaultStream()), true);
  const inside = torch.cuda.stream(s, () => torch.cuda.currentStream().equals(s));
  assert.equal(inside, true);
  assert.equal(torch.cuda.currentStream().equals(main), true);
  assert.throws(() => torch.cuda.stream(s, () => { throw new Error('inner'); }), { message: 'inner' });
  assert.equal(torch.cuda.currentStream().equals(main), true, 'the stream is restored when fn throws');

  const start = new torch.cuda.Event({ enableTiming: true });
  const end = new torch.cuda.Event({ enableTiming: true });
  const x = torch.keep(torch.randn([2048, 2048], { device: 'cuda' }));
  s.waitStream(main);
  torch.cuda.stream(s, () => {
    start.record(s);
    torch.tidy(() => x.matmul(x).matmul(x));
    end.record(s);
  });
  main.waitEvent(end);
  end.synchronize();
  assert.equal(end.query(), true);
  assert.equal(s.query(), true);
  const ms = start.elapsedTime(end);
  assert.ok(ms > 0 && ms < 10_000, `elapsed ${ms} ms`);
  x.dispose();
});

function cifarNet(): torch.nn.Module {
  torch.manualSeed(3);
  return torch.models.resnet20({ numClasses: 10 });
}

/** 50 steps of one CapturableStep over fixed batches; returns its metrics and weights. */
function train50(graphed: boolean, amp: 'none' | 'bf16', channelsLast: boolean) {
  const format = channelsLast ? { memoryFormat: 'channelsLast' as const } : {};
  const model = cifarNet().to({ device: 'cuda', ...format });
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const ema = new torch.optim.EMA(model, { decay: 0.9 });
  const step = new torch.train.CapturableStep(model, opt, { batchSize: 32, inputShape: [3, 32, 32], amp, channelsLast, labelSmoothing: 0.1, cudaGraph: graphed }, ema);
  torch.manualSeed(7);
  try {
    for (let i = 0; i < 50; i++) {
      torch.tidy(() => {
        step.setLr(0.1 * (1 - i / 50));
        step.load(torch.randn([32, 3, 32, 32], { device: 'cuda' }), torch.randint(0, 10, [32], { device: 'cuda' }));
        step.run();
      });
    }
    assert.equal(step.graphed, graphed);
    assert.equal(ema.numUpdates, 50);
    const weights = torch.tidy(() => [...model.stateDict().values()].map(bytes));
    return { metrics: step.metrics(), weights, model, step };
  } catch (e) {
    step.dispose();
    throw e;
  }
}

for (const [amp, channelsLast] of [['none', false], ['bf16', true]] as const) {
  test(`50 steps replayed from a CUDA graph equal 50 eager steps bit for bit (deterministic cuDNN; amp ${amp}${channelsLast ? ', channels-last' : ''})`, needsCuda, () => {
    const { benchmark, deterministic } = torch.backends.cudnn;
    torch.backends.cudnn.benchmark = false;
    torch.backends.cudnn.deterministic = true;
    try {
      const eager = train50(false, amp, channelsLast);
      eager.step.dispose();
      const graphed = train50(true, amp, channelsLast);
      try {
        assert.equal(graphed.metrics.loss, eager.metrics.loss);
        assert.equal(graphed.metrics.accuracy, eager.metrics.accuracy);
        graphed.weights.forEach((w, i) => assert.ok(w.equals(eager.weights[i]!), `state_dict tensor ${i} differs`));
        if (amp === 'none') {
          // memory stays flat: 500 more replays allocate nothing
          torch.cuda.synchronize();
          const before = torch.cuda.memoryAllocated();
          const live = torch.memory().liveTensors;
          for (let i = 0; i < 500; i++) graphed.step.run();
          torch.cuda.synchronize();
          assert.equal(torch.cuda.memoryAllocated(), before);
          assert.equal(torch.memory().liveTensors, live);
          assert.equal(graphed.step.seen, 550 * 32);
        }
      } finally {
        graphed.step.dispose();
      }
    } finally {
      torch.backends.cudnn.benchmark = benchmark;
      torch.backends.cudnn.deterministic = deterministic;
    }
  });
}

test('forwardAsync/predict with cudaGraph: refused off the GPU, with the reason', async () => {
  const model = new torch.nn.Linear({ inFeatures: 4, outFeatures: 2 });
  const x = torch.ones([3, 4]);
  try {
    await assert.rejects(model.forwardAsync(x, { cudaGraph: true }), {
      name: 'TypeError', message: "Expected a CUDA tensor for input with cudaGraph (a CUDA graph runs on the GPU) but received one on 'cpu'",
    });
    await assert.rejects(model.predict(x, { cudaGraph: 'yes' as never }), { name: 'TypeError', message: "Expected a boolean for cudaGraph but received 'yes' of type string" });
  } finally {
    x.dispose();
  }
});

test('predict from a captured CUDA graph equals the eager eval forward, per batch shape', needsCuda, async () => {
  const model = cifarNet().to('cuda');
  torch.manualSeed(9);
  for (const n of [16, 16, 5, 16]) {
    const x = torch.randn([n, 3, 32, 32], { device: 'cuda' });
    const graphed = await model.predict(x, { cudaGraph: true });
    model.eval();
    const eager = torch.tidy(() => torch.noGrad(() => model.forward(x).softmax(1)));
    model.train();
    assert.deepEqual(graphed.shape, [n, 10]);
    const a = torch.tidy(() => graphed.to('cpu').toTypedArray()) as Float32Array;
    const e = torch.tidy(() => eager.to('cpu').toTypedArray()) as Float32Array;
    for (let i = 0; i < e.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) <= 1e-6, `batch of ${n}, element ${i}: ${a[i]} vs ${e[i]}`);
    for (const t of [x, graphed, eager]) t.dispose();
  }
  model.to('cpu'); // frees the captured graphs with the move
});
