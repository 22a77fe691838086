// Per-op call time on tiny tensors, in microseconds: a round is N calls, each result freed by
// dispose() right after the call, inside one torch.tidy per round (so no finalizer is registered).
import { flags, now, seconds, serve, setup } from './common.mjs';

const o = flags({ op: 'add', calls: 100000, warmup: 50000 });
const torch = setup();
const F = torch.nn.functional;

const a = torch.ones([1]);
const b = torch.ones([1]);
const x = torch.randn([1, 4, 8, 8]);
const image = torch.randn([1, 3, 8, 8]);
const weight = torch.randn([4, 3, 3, 3]);
const calls = {
  add: () => a.add(b),
  relu: () => x.relu(),
  conv2d: () => F.conv2d(image, weight),
};
const call = calls[o.op];
if (!call) throw new Error(`unknown op ${o.op}`);

function round(n) {
  const start = now();
  torch.tidy(() => {
    for (let i = 0; i < n; i++) call().dispose();
  });
  return seconds(start);
}

round(o.warmup);
await serve(() => (round(o.calls) / o.calls) * 1e6);
