// The benchmark cases: each runs cases/<script>.mjs (torchnode) and cases/<script>.py (PyTorch)
// with the same flags. `better` says which way is faster; `quick` overrides for --quick runs.

const op = (name, what) => ({
  id: `op-${name}`, name: `${what}, per call`, unit: 'us', better: 'lower', script: 'ops', target: 1.0,
  args: { op: name, calls: 100000, rounds: 5 }, pairs: 3, quick: { args: { rounds: 3 }, pairs: 1 },
});

const cpuTrain = (batch, full, quick) => ({
  id: `train-b${batch}`, name: `ResNet-34 train step, batch ${batch}`, unit: 'img/s', better: 'higher', script: 'train_step',
  target: 0.98, args: { batch, ...full.args }, pairs: full.pairs, quick: quick && { args: quick.args, pairs: quick.pairs },
});

const cuda = (kind, batch, amp) => ({
  id: `cuda-${kind}-b${batch}-${amp ? 'bf16-cl' : 'fp32'}`,
  name: `CUDA ResNet-34 ${kind === 'train' ? 'train step' : 'inference'}, batch ${batch}, ${amp ? 'bf16 autocast, channels-last' : 'fp32'}`,
  unit: 'img/s', better: 'higher', script: kind === 'train' ? 'train_step' : 'inference', cuda: true, target: 0.98,
  args: { batch, device: 'cuda', ...(kind === 'train' ? { warmup: 5, steps: 20 } : { warmup: 5, iters: 20 }),
    ...(amp && { amp: 'bfloat16', channelsLast: 1 }) },
  pairs: 3, quick: { pairs: 1 },
});

export const SUITE = [
  op('add', 'add on 1 element'),
  op('relu', 'relu on [1,4,8,8]'),
  op('conv2d', 'conv2d [1,3,8,8] * [4,3,3,3]'),
  cpuTrain(32, { args: { warmup: 2, steps: 5 }, pairs: 3 }, { args: { warmup: 1, steps: 3 }, pairs: 1 }),
  cpuTrain(128, { args: { warmup: 1, steps: 3 }, pairs: 2 }, null),
  {
    id: 'infer-b128', name: 'ResNet-34 inference, batch 128', unit: 'img/s', better: 'higher', script: 'inference', target: 0.98,
    args: { batch: 128, warmup: 1, iters: 5 }, pairs: 3, quick: { args: { iters: 2 }, pairs: 1 },
  },
  {
    id: 'pipeline', name: 'CIFAR pipeline (crop, flip, normalise), batch 128', unit: 'img/s', better: 'higher', script: 'pipeline',
    args: { batch: 128, batches: 100 }, pairs: 3, quick: { args: { batches: 50 }, pairs: 1 },
  },
  {
    id: 'startup', name: 'load + first step (ResNet-34, batch 8), fresh process', unit: 's', better: 'lower', script: 'startup',
    wall: true, args: {}, pairs: 5, quick: { pairs: 1 },
  },
  {
    id: 'epoch', name: 'CIFAR-10 epoch of the CPU recipe (ResNet-20)', unit: 'img/s', better: 'higher', epoch: true,
    args: {}, pairs: 1, quick: null,
  },
  cuda('train', 128, false),
  cuda('train', 512, false),
  cuda('train', 128, true),
  cuda('train', 512, true),
  cuda('inference', 512, false),
  cuda('inference', 512, true),
];
