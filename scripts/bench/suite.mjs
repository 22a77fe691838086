// The benchmark cases: each runs cases/<script>.mjs (torchnode) and cases/<script>.py (PyTorch)
// with the same flags, in `processes` pairs of processes that take `rounds` turns each (see
// lockstep.mjs); `wall` and `epoch` cases are fresh process pairs instead. `better` says which
// way is faster; `quick` overrides for --quick; a `name` may be a function of the flags.

const op = (name, what) => ({
  id: `op-${name}`, name: `${what}, per call`, unit: 'us', better: 'lower', script: 'ops', target: 1.0,
  args: { op: name, calls: 100000 }, processes: 3, rounds: 8, quick: { processes: 1, rounds: 4 },
});

const cpuTrain = (batch, full, quick) => ({
  id: `train-b${batch}`, name: `ResNet-34 train step, batch ${batch}`, unit: 'img/s', better: 'higher', script: 'train_step',
  target: 1.0, args: { batch, steps: 1, warmup: 1 }, ...full, quick,
});

// graphs: both sides replay the whole step from a CUDA graph (torchnode: train.CapturableStep)
const cuda = (kind, batch, amp, graphs = false) => ({
  id: `cuda-${kind}-b${batch}-${amp ? 'bf16-cl' : 'fp32'}${graphs ? '-graphs' : ''}`,
  name: `CUDA ResNet-34 ${kind === 'train' ? 'train step' : 'inference'}, batch ${batch}, ${amp ? 'bf16 autocast, channels-last' : 'fp32'}${graphs ? ', CUDA graph' : ''}`,
  unit: 'img/s', better: 'higher', script: kind === 'train' ? 'train_step' : 'inference', cuda: true, target: 0.98,
  args: { batch, device: 'cuda', warmup: 5, ...(kind === 'train' ? { steps: 10 } : { iters: 10 }), ...(amp && { amp: 'bfloat16', channelsLast: 1 }),
    ...(graphs && { graphs: 1 }) },
  processes: 2, rounds: 5, quick: { processes: 1, rounds: 3 },
});

// ResNet-34 inference against a peer on one prepared network and input (prepare_inference.py;
// both sides check their logits against PyTorch eager's first). torchnode: the fast path
// (optimizeForInference) or predict(); peers: PyTorch eager, TorchScript frozen for inference,
// onnxruntime-node (CPU execution provider, threads as ours).
const PEERS = {
  eager: { file: 'infer_peer.py', engine: 'eager', label: 'PyTorch eager' },
  jit: { file: 'infer_peer.py', engine: 'jit', label: 'TorchScript (trace, freeze, optimize_for_inference)' },
  ort: { file: 'infer_peer.mjs', engine: 'ort', label: 'onnxruntime-node' },
};
const peer = (engine, against, batch, target) => ({
  id: `infer-${engine}-b${batch}-vs-${against}`,
  name: `ResNet-34 inference, batch ${batch}: torchnode ${engine === 'fast' ? 'optimizeForInference' : 'predict()'} against ${PEERS[against].label}`,
  unit: 'img/s', better: 'higher', prepare: 'inference', peer: PEERS[against].label, ...(target && { target }),
  sides: { torchnode: ['infer_peer.mjs', { engine }], pytorch: [PEERS[against].file, { engine: PEERS[against].engine }] },
  args: { batch, iters: batch === 1 ? 20 : 2, warmup: 2 }, processes: 2, rounds: 4, quick: { processes: 1, rounds: 2 },
});

export const SUITE = [
  op('add', 'add on 1 element'),
  op('relu', 'relu on [1,4,8,8]'),
  op('conv2d', 'conv2d [1,3,8,8] * [4,3,3,3]'),
  cpuTrain(32, { processes: 2, rounds: 6 }, { processes: 1, rounds: 2 }),
  cpuTrain(128, { processes: 2, rounds: 4 }, null),
  {
    id: 'infer', name: (a) => `ResNet-34 inference, batch ${a.batch}`, unit: 'img/s', better: 'higher', script: 'inference', target: 0.98,
    args: { batch: 128, iters: 1, warmup: 1 }, processes: 2, rounds: 4, quick: { args: { batch: 32 }, processes: 1, rounds: 2 },
  },
  peer('fast', 'eager', 1, 1.3),
  peer('fast', 'eager', 32, 1.3),
  peer('fast', 'ort', 1, 1.2),
  peer('fast', 'ort', 32, 1.2),
  peer('fast', 'jit', 32, null),
  peer('predict', 'eager', 1, 1.0),
  {
    id: 'pipeline', name: 'CIFAR pipeline (crop, flip, normalise), batch 128', unit: 'img/s', better: 'higher', script: 'pipeline',
    args: { batch: 128, batches: 20 }, processes: 3, rounds: 6, quick: { processes: 1, rounds: 4 },
  },
  {
    id: 'startup', name: 'load + first step (ResNet-34, batch 8), fresh process', unit: 's', better: 'lower', script: 'startup',
    wall: true, args: {}, processes: 7, quick: { processes: 1 },
  },
  {
    id: 'epoch', name: 'CIFAR-10 epoch of the CPU recipe (ResNet-20)', unit: 'img/s', better: 'higher', epoch: true,
    args: {}, processes: 1, quick: null,
  },
  cuda('train', 128, false),
  cuda('train', 512, false),
  cuda('train', 128, true),
  cuda('train', 512, true),
  cuda('train', 128, false, true),
  cuda('train', 512, false, true),
  cuda('train', 128, true, true),
  cuda('train', 512, true, true),
  cuda('inference', 512, false),
  cuda('inference', 512, true),
];
