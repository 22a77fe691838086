// Start-up latency: load torchnode (and libtorch), build ResNet-34 (CIFAR stem), take one SGD
// step on a batch of 8. The runner times this process from spawn to its result line.
import { performance } from 'node:perf_hooks';

const t0 = performance.now();
const torch = await import('torchnode');
const { setup } = await import('./common.mjs');
const loaded = performance.now();
setup();
const model = torch.models.resnet34({ numClasses: 10, stem: 'cifar' });
const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
torch.tidy(() => {
  const loss = torch.nn.functional.crossEntropy(model.forward(torch.randn([8, 3, 32, 32])), torch.randint(0, 10, [8]));
  loss.backward();
  optimizer.step();
  optimizer.zeroGrad();
});
const stepped = performance.now();
// process start to the import, the import, the model and its first step (seconds)
const details = { sinceProcessStart: t0 / 1e3, importSeconds: (loaded - t0) / 1e3, firstStepSeconds: (stepped - loaded) / 1e3 };
process.stdout.write(`${JSON.stringify({ value: null, ...details })}\n`);
