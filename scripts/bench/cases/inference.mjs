// ResNet-34 (CIFAR stem) inference: eval mode, no grad, one fixed random batch per forward. A round
// is `iters` forwards; its value is images per second.
import { flags, now, seconds, serve, setup } from './common.mjs';

const o = flags({ batch: 128, iters: 1, warmup: 1, device: 'cpu', amp: 'none', channelsLast: 0 });
const torch = setup(o.device);

const format = o.channelsLast ? { memoryFormat: 'channelsLast' } : {};
const model = torch.models.resnet34({ numClasses: 10, stem: 'cifar' }).to({ device: o.device, ...format }).eval();
const x = torch.randn([o.batch, 3, 32, 32]).to({ device: o.device, ...format });
const amp = o.amp === 'none' ? null : { deviceType: o.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: o.amp };

const forward = () => torch.noGrad(() => torch.tidy(() => {
  amp ? torch.autocast(amp, () => model.forward(x)) : model.forward(x);
}));

for (let i = 0; i < o.warmup; i++) forward();
seconds(now(), o.device);
await serve(() => {
  const start = now();
  for (let i = 0; i < o.iters; i++) forward();
  return (o.batch * o.iters) / seconds(start, o.device);
});
