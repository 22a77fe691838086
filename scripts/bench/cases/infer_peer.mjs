// ResNet-34 (CIFAR stem) inference on the prepared network and input (prepare_inference.py), in
// Node: torchnode's fast path (`optimizeForInference`), torchnode's `predict()`, or
// onnxruntime-node on the exported ONNX file. Checks its logits against PyTorch eager's first.
// A round is `iters` forwards; its value is images per second.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

import { flags, now, seconds, serve, setup } from './common.mjs';

const o = flags({ dir: '', batch: 32, iters: 1, warmup: 2, engine: 'fast' });
const torch = setup('cpu');
const floats = (file) => {
  const b = readFileSync(path.join(o.dir, file));
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};
const input = floats(`input-b${o.batch}.f32`);
const expected = floats(`logits-b${o.batch}.f32`);
const maxAbsDiff = (got) => got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);

let forward;
let first;
if (o.engine === 'ort') {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path.join(o.dir, 'resnet34.onnx'), {
    executionProviders: ['cpu'], intraOpNumThreads: availableParallelism(), interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const feeds = { x: new ort.Tensor('float32', input, [o.batch, 3, 32, 32]) };
  forward = async () => (await session.run(feeds)).logits.data;
  first = await forward();
} else {
  const model = torch.models.resnet34({ numClasses: 10, stem: 'cifar' });
  const weights = torch.load(path.join(o.dir, 'weights.safetensors'));
  model.loadStateDict(weights);
  for (const t of weights.values()) t.dispose();
  model.eval();
  const x = torch.tensor(input, { shape: [o.batch, 3, 32, 32] });
  if (o.engine === 'fast') {
    const fast = model.optimizeForInference({ inputShape: [3, 32, 32] });
    forward = async () => (await fast.forwardAsync(x)).dispose();
    const out = await fast.forwardAsync(x);
    first = out.toTypedArray();
    out.dispose();
  } else if (o.engine === 'predict') {
    // the module's own predict(): its forward replayed off the JS thread, optimised on CPU float32
    // (batch norms folded, fused convolutions) as forwardAsync does by default, softmax included
    forward = async () => (await model.predict(x)).dispose();
    const out = await model.forwardAsync(x);
    first = out.toTypedArray();
    out.dispose();
  } else throw new Error(`unknown engine ${o.engine}`);
}
const diff = maxAbsDiff(first);
for (let i = 0; i < o.warmup; i++) await forward();
await serve(async () => {
  const start = now();
  for (let i = 0; i < o.iters; i++) await forward();
  return (o.batch * o.iters) / seconds(start);
}, { maxAbsDiff: diff });
