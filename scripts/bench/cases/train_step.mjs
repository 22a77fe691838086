// ResNet-34 (CIFAR stem) training steps: forward, cross-entropy, backward, SGD (Nesterov momentum,
// weight decay), gradients cleared; one fixed random batch, so only the step is timed.
import { emit, flags, median, now, seconds, setup } from './common.mjs';

const o = flags({ batch: 32, steps: 5, warmup: 2, device: 'cpu', amp: 'none', channelsLast: 0 });
const torch = setup(o.device);
const F = torch.nn.functional;

const format = o.channelsLast ? { memoryFormat: 'channelsLast' } : {};
const model = torch.models.resnet34({ numClasses: 10, stem: 'cifar' }).to({ device: o.device, ...format });
const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
const x = torch.randn([o.batch, 3, 32, 32]).to({ device: o.device, ...format });
const y = torch.randint(0, 10, [o.batch]).to(o.device);
const amp = o.amp === 'none' ? null : { deviceType: o.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: o.amp };

function step() {
  torch.tidy(() => {
    const forward = () => F.crossEntropy(model.forward(x), y);
    const loss = amp ? torch.autocast(amp, forward) : forward();
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
  });
}

for (let i = 0; i < o.warmup; i++) step();
seconds(now(), o.device);
const times = Array.from({ length: o.steps }, () => {
  const start = now();
  step();
  return seconds(start, o.device);
});
emit(o.batch / median(times), { stepSeconds: times });
