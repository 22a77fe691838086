// The CIFAR training pipeline (torchnode's ImagePipeline): shuffle, random crop from 4-pixel
// padding, flip, normalise, batch; over a CIFAR-10-sized set of random uint8 images.
import { emit, flags, now, seconds, setup } from './common.mjs';

const o = flags({ batch: 128, batches: 100, warmup: 5, images: 50000, device: 'cpu' });
const torch = setup(o.device);

const images = torch.randint(0, 256, [o.images, 3, 32, 32], { dtype: 'uint8' });
const labels = torch.randint(0, 10, [o.images]);
const pipeline = new torch.data.ImagePipeline({ images, labels, batchSize: o.batch, device: o.device, cropPadding: 4,
  flip: true, shuffle: true, dropLast: true, mean: torch.data.CIFAR10_MEAN, std: torch.data.CIFAR10_STD, seed: 0 });
if (o.warmup + o.batches > pipeline.batchesPerEpoch) throw new Error('more batches than an epoch holds');

let start = now();
let seen = 0;
for (const { x, y, index } of pipeline.epoch(0)) {
  if (index === o.warmup) start = now();
  if (index >= o.warmup) seen += x.shape[0];
  x.dispose();
  y.dispose();
  if (index + 1 === o.warmup + o.batches) break;
}
emit(seen / seconds(start, o.device), { batches: o.batches });
