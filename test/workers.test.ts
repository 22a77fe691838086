// The addon in worker threads: several at once, each training and predicting; what a worker
// leaves is freed when it exits; tensors cannot be posted between threads, and never crash.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

import * as torch from 'torchnode';
import { MODULE_CLONE_MESSAGE, TENSOR_CLONE_MESSAGE } from '../lib/clone-guard.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const torchUrl = pathToFileURL(path.join(root, 'dist', 'index.js')).href;

/** Runs `body` (an async function body with `torch` and `post` in scope) in a new worker. */
function inWorker<T>(body: string, { workerData, onMessage }: { workerData?: unknown; onMessage?: (m: unknown, w: Worker) => void } = {}):
  { worker: Worker; done: Promise<{ code: number; messages: T[] }> } {
  const code = `
    const { parentPort, workerData } = await import('node:worker_threads');
    const torch = await import(${JSON.stringify(torchUrl)});
    const post = (m) => parentPort.postMessage(m);
    ${body}`;
  const worker = new Worker(code, { eval: true, workerData });
  const messages: T[] = [];
  const done = new Promise<{ code: number; messages: T[] }>((resolve, reject) => {
    worker.on('message', (m: T) => {
      messages.push(m);
      onMessage?.(m, worker);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, messages }));
  });
  return { worker, done };
}

test('the addon loads in three worker threads at once; each trains a step and predicts, with its own tensor count', async () => {
  const before = torch.memory().liveTensors;
  const runs = [1, 2, 3].map((seed) => inWorker<{ loss: number; probs: number[]; liveTensors: number }>(`
    torch.manualSeed(${seed});
    const model = torch.models.resnet20();
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = torch.randn([8, 3, 32, 32]);
    const y = torch.randint(0, 10, [8]);
    const loss = torch.tidy(() => {
      const l = torch.nn.functional.crossEntropy(model.forward(x), y);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l.item();
    });
    const probs = await model.predict(x.narrow(0, 0, 2));
    post({ loss, probs: Array.from(probs.sum(1).toTypedArray()), liveTensors: torch.memory().liveTensors });`));
  const results = await Promise.all(runs.map((r) => r.done));
  for (const { code, messages: [m] } of results) {
    assert.equal(code, 0);
    assert.ok(Number.isFinite(m!.loss) && m!.loss > 0, `loss ${m!.loss}`);
    for (const s of m!.probs) assert.ok(Math.abs(s - 1) < 1e-5, `probabilities sum to ${s}`);
    // its own model, optimizer state and inputs; none of the other threads'
    assert.ok(m!.liveTensors > 100 && m!.liveTensors < 1000, `${m!.liveTensors} live tensors in the worker`);
  }
  // different seeds, different models: the threads did not share one generator state by accident
  assert.equal(new Set(results.map((r) => r.messages[0]!.loss)).size, 3);
  assert.equal(torch.memory().liveTensors, before, "the main thread's count is its own");
});

test("tensors a worker never disposed are freed when it exits: five 256 MB workers leave the RSS flat", async () => {
  const rss = () => process.memoryUsage.rss();
  const cycle = async () => {
    const { done } = inWorker<{ liveTensors: number; hostBytes: number }>(`
      const kept = [];
      // 4 x 64 MB, never disposed; past glibc's largest mmap threshold (32 MB), so each is its own
      // mapping and RSS shows exactly whether it was freed
      for (let i = 0; i < 4; i++) kept.push(torch.ones([16, 1024, 1024]));
      post(torch.memory());`);
    const { code, messages: [m] } = await done;
    assert.equal(code, 0);
    return m!;
  };
  await cycle(); // the first worker maps code and grows V8's and malloc's pools once
  const start = rss();
  for (let i = 0; i < 5; i++) {
    const m = await cycle();
    assert.equal(m.liveTensors, 4);
    assert.equal(m.hostBytes, 4 * 64 * 1024 * 1024);
  }
  const grown = rss() - start;
  // without the cleanup hook each worker would leave its 256 MB behind (1.25 GB in all)
  assert.ok(grown < 100 * 1024 * 1024, `RSS grew ${(grown / 2 ** 20).toFixed(0)} MB over five workers`);
});

test('posting a Tensor (or a model) to another thread is a TypeError that says how to copy it', () => {
  const t = torch.arange(0, 6).view(2, 3);
  const model = torch.models.resnet20();
  const { port1, port2 } = new MessageChannel();
  try {
    for (const send of [() => port1.postMessage(t), () => port1.postMessage({ batch: [t] }), () => structuredClone(t), () => JSON.stringify({ t })]) {
      assert.throws(send, (e: Error) => e instanceof TypeError && e.message === TENSOR_CLONE_MESSAGE);
    }
    assert.match(TENSOR_CLONE_MESSAGE, /toTypedArray\(\).*torch\.tensor\(data, \{ shape, dtype \}\)/);
    for (const send of [() => port1.postMessage(model), () => port1.postMessage({ model }), () => structuredClone(model.layers[0])]) {
      assert.throws(send, (e: Error) => e instanceof TypeError && e.message === MODULE_CLONE_MESSAGE);
    }
    // the tensor is untouched
    assert.deepEqual(t.toArray(), [[0, 1, 2], [3, 4, 5]]);
  } finally {
    port1.close();
    port2.close();
    t.dispose();
    model.dispose();
  }
});

test('the documented copy: toTypedArray(), shape and dtype cross; the worker rebuilds the tensor', async () => {
  const t = torch.randn([3, 4]);
  const payload = { data: t.toTypedArray(), shape: t.shape, dtype: t.dtype };
  const { done } = inWorker<number[][]>(`
    const { data, shape, dtype } = workerData;
    const t = torch.tensor(data, { shape, dtype });
    post(t.mul(2).toArray());`, { workerData: payload });
  const { code, messages: [doubled] } = await done;
  assert.equal(code, 0);
  const expected = t.mul(2);
  assert.deepEqual(doubled, expected.toArray());
  for (const x of [t, expected]) x.dispose();
});

test('terminating a worker in the middle of training, a forward or a read-back on the thread pool does not crash the process', async () => {
  for (let i = 0; i < 12; i++) {
    const { done } = inWorker(`
      const model = torch.models.resnet20();
      const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const x = torch.randn([32, 3, 32, 32]);
      const y = torch.randint(0, 10, [32]);
      post('started');
      for (let step = 0; ; step++) {
        torch.tidy(() => {
          torch.nn.functional.crossEntropy(model.forward(x), y).backward();
          opt.step();
          opt.zeroGrad();
        });
        // replays and copies that are still on the thread pool when the thread is stopped
        const pending = [model.predict(x), x.toTypedArrayAsync()];
        if (step % 2 === 0) await Promise.all(pending);
      }`, { onMessage: (_m, w) => { setTimeout(() => void w.terminate(), i * 30); } });
    const { code } = await done;
    assert.equal(code, 1, 'terminated');
  }
  // this process still computes
  const x = torch.ones([2]);
  assert.equal(x.sum().item(), 2);
  x.dispose();
});
