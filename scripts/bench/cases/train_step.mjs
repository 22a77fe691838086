// ResNet-34 (CIFAR stem) training steps: forward, cross-entropy, backward, SGD (Nesterov momentum,
// weight decay), gradients cleared; one fixed random batch, so only the step is timed. A round is
// `steps` steps; its value is images per second. --graphs=1: the step is train.CapturableStep,
// captured in a CUDA graph after its warm-up steps and replayed.
import { flags, now, seconds, serve, setup } from './common.mjs';

const o = flags({ batch: 32, steps: 1, warmup: 1, device: 'cpu', amp: 'none', channelsLast: 0, graphs: 0 });
const torch = setup(o.device);
const F = torch.nn.functional;

const format = o.channelsLast ? { memoryFormat: 'channelsLast' } : {};
const model = torch.models.resnet34({ numClasses: 10, stem: 'cifar' }).to({ device: o.device, ...format });
const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
const x = torch.randn([o.batch, 3, 32, 32]).to({ device: o.device, ...format });
const y = torch.randint(0, 10, [o.batch]).to(o.device);
const amp = o.amp === 'none' ? null : { deviceType: o.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: o.amp };

function eagerStep() {
  torch.tidy(() => {
    const forward = () => F.crossEntropy(model.forward(x), y);
    const loss = amp ? torch.autocast(amp, forward) : forward();
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
  });
}

let step = eagerStep;
if (o.graphs) {
  const captured = new torch.train.CapturableStep(model, optimizer, { batchSize: o.batch, inputShape: [3, 32, 32],
    channelsLast: Boolean(o.channelsLast), amp: o.amp === 'none' ? 'none' : 'bf16', cudaGraph: true });
  torch.tidy(() => captured.load(x, y));
  step = () => captured.run();
  // warm-up steps, then the capture, then one replay
  for (let i = 0; i < 4; i++) step();
  if (!captured.graphed) throw new Error('the step was not captured');
}

for (let i = 0; i < o.warmup; i++) step();
seconds(now(), o.device);
await serve(() => {
  const start = now();
  for (let i = 0; i < o.steps; i++) step();
  return (o.batch * o.steps) / seconds(start, o.device);
});
