// The CIFAR training pipeline (torchnode's ImagePipeline): shuffle, random crop from 4-pixel
// padding, flip, normalise, batch; over a CIFAR-10-sized set of random uint8 images. A round is
// `batches` batches (a new epoch starts where one ends); its value is images per second.
import { flags, now, seconds, serve, setup } from './common.mjs';

const o = flags({ batch: 128, batches: 20, warmup: 5, images: 50000, device: 'cpu' });
const torch = setup(o.device);

const images = torch.randint(0, 256, [o.images, 3, 32, 32], { dtype: 'uint8' });
const labels = torch.randint(0, 10, [o.images]);
const pipeline = new torch.data.ImagePipeline({ images, labels, batchSize: o.batch, device: o.device, cropPadding: 4,
  flip: true, shuffle: true, dropLast: true, mean: torch.data.CIFAR10_MEAN, std: torch.data.CIFAR10_STD, seed: 0 });

let epoch = 0;
let batches = pipeline.epoch(epoch);
function nextBatch() {
  let next = batches.next();
  if (next.done) {
    batches = pipeline.epoch(++epoch);
    next = batches.next();
  }
  const { x, y } = next.value;
  const n = x.shape[0];
  x.dispose();
  y.dispose();
  return n;
}

for (let i = 0; i < o.warmup; i++) nextBatch();
seconds(now(), o.device);
await serve(() => {
  const start = now();
  let seen = 0;
  for (let i = 0; i < o.batches; i++) seen += nextBatch();
  return seen / seconds(start, o.device);
});
