// The CIFAR training pipeline on the training device: the data set stays there as uint8, and
// each batch is gathered, cropped, flipped and normalised by a handful of tensor ops.
import { arange, randint, randperm, rand, tensor } from '../creation.js';
import { checkDevice, type Device } from '../device.js';
import type { DType } from '../dtype.js';
import { describe } from '../errors.js';
import { noGrad } from '../autograd.js';
import { pad } from '../functional.js';
import { Generator as TorchGenerator } from '../generator.js';
import { keep, tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { where } from '../functions.js';

export interface Batch {
  /** Normalised images [B, 3, H, W] in the pipeline's dtype and memory format. */
  x: Tensor;
  /** Class indices [B], int64. */
  y: Tensor;
  /** The batch's index within the epoch. */
  index: number;
}

export interface PipelineOptions {
  /** uint8 images [N, C, H, W]; moved to `device` once. */
  images: Tensor;
  /** int64 labels [N]. */
  labels: Tensor;
  batchSize: number;
  device?: Device;
  /** Random crops from images padded by this many pixels (0: no crop). */
  cropPadding?: number;
  /** Random horizontal flips. */
  flip?: boolean;
  /** Shuffle each epoch (training); evaluation keeps the data set's order. */
  shuffle?: boolean;
  /** Drop a last partial batch (static shapes for training). */
  dropLast?: boolean;
  mean: readonly number[];
  std: readonly number[];
  dtype?: Extract<DType, 'float32' | 'bfloat16' | 'float16'>;
  channelsLast?: boolean;
  /** Seed of the shuffles and augmentations: epoch e, batch b always see the same draws. */
  seed?: number;
  /** The images of each epoch, in order (a distributed.DistributedSampler); replaces `shuffle`. */
  sampler?: EpochSampler;
}

/** What the pipeline needs of a sampler: a fixed count and each epoch's indices. */
export interface EpochSampler {
  readonly numSamples: number;
  indices(epoch: number): Int32Array;
}

// Distinct streams per (seed, epoch, batch), so a run resumed mid-epoch draws what it would have.
function streamSeed(seed: number, epoch: number, batch: number): bigint {
  return (BigInt(seed) * 1_000_003n + BigInt(epoch) * 65_537n + BigInt(batch + 1)) & ((1n << 63n) - 1n);
}

/**
 * Batches of a uint8 image set, augmented and normalised on its device with no per-image JS.
 * The loader owns its device copies: `dispose()` frees them.
 *
 * @example
 * const train = new ImagePipeline({ images, labels, batchSize: 128, device: 'cuda', cropPadding: 4, flip: true,
 *   shuffle: true, dropLast: true, mean: CIFAR10_MEAN, std: CIFAR10_STD });
 * for (const { x, y } of train.epoch(0)) { ... }
 */
export class ImagePipeline {
  readonly images: Tensor;
  readonly labels: Tensor;
  readonly size: number;
  readonly options: Required<Omit<PipelineOptions, 'images' | 'labels' | 'device' | 'sampler'>> & { device: Device };
  readonly sampler: EpochSampler | null;
  readonly #mean: Tensor;
  readonly #invStd: Tensor;
  readonly #offsets: Tensor;
  // The pipeline's own draws: the user's global generator is never reseeded or advanced.
  readonly #generator: TorchGenerator;

  constructor(options: PipelineOptions) {
    const { images, labels } = options;
    if (images.dtype !== 'uint8' || images.ndim !== 4) throw new TypeError(`Expected uint8 images [N, C, H, W] for images but received ${images.dtype} [${images.shape.join(', ')}]`);
    if (labels.ndim !== 1 || labels.shape[0] !== images.shape[0]) throw new TypeError(`Expected one label per image for labels but received shape [${labels.shape.join(', ')}]`);
    if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1) throw new TypeError(`Expected positive integer for batchSize but received ${describe(options.batchSize)}`);
    const device = checkDevice(options.device ?? 'cpu');
    this.options = {
      batchSize: options.batchSize, device, cropPadding: options.cropPadding ?? 0, flip: options.flip ?? false,
      shuffle: options.shuffle ?? false, dropLast: options.dropLast ?? false, mean: options.mean, std: options.std,
      dtype: options.dtype ?? 'float32', channelsLast: options.channelsLast ?? false, seed: options.seed ?? 0,
    };
    this.sampler = options.sampler ?? null;
    this.size = this.sampler ? this.sampler.numSamples : images.shape[0]!;
    const c = images.shape[1]!;
    if (this.options.mean.length !== c || this.options.std.length !== c) throw new TypeError(`Expected ${c} values for mean and std (one per channel)`);
    this.#generator = new TorchGenerator({ device });
    this.images = keep(images.to(device));
    this.labels = keep(labels.to({ device, dtype: 'int64' }));
    // normalisation folded into one subtract and one multiply on 0..255 values
    this.#mean = keep(tensor(this.options.mean.map((m) => m * 255), { device }).view(1, c, 1, 1));
    this.#invStd = keep(tensor(this.options.std.map((s) => 1 / (s * 255)), { device }).view(1, c, 1, 1));
    this.#offsets = keep(arange(Math.max(images.shape[2]!, images.shape[3]!), { device }));
  }

  /** Batches in an epoch. */
  get batchesPerEpoch(): number {
    const { batchSize, dropLast } = this.options;
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  /** The batches of epoch `epoch`, from batch `start` on (to resume mid-epoch). Dispose each batch. */
  *epoch(epoch: number, start = 0): Generator<Batch> {
    const { batchSize, shuffle, seed } = this.options;
    const sampled = this.sampler?.indices(epoch);
    const order = sampled ? tidy(() => keep(tensor(sampled).to({ device: this.options.device, dtype: 'int64' }))) : shuffle ? tidy(() => {
      this.#generator.manualSeed(streamSeed(seed, epoch, -1));
      return keep(randperm(this.size, { device: this.options.device, generator: this.#generator }));
    }) : null;
    try {
      for (let b = start; b < this.batchesPerEpoch; b++) {
        const begin = b * batchSize;
        const n = Math.min(batchSize, this.size - begin);
        yield noGrad(() => tidy(() => {
          this.#generator.manualSeed(streamSeed(seed, epoch, b));
          const idx = order ? order.narrow(0, begin, n) : null;
          const raw = idx ? this.images.indexSelect(0, idx) : this.images.narrow(0, begin, n);
          const y = idx ? this.labels.indexSelect(0, idx) : this.labels.narrow(0, begin, n);
          return { x: this.#prepare(this.#augment(raw)), y, index: b };
        }));
      }
    } finally {
      order?.dispose();
    }
  }

  // Random crop (from a zero-padded copy) and flip, as one gather with per-sample index grids.
  #augment(raw: Tensor): Tensor {
    const { cropPadding: p, flip } = this.options;
    if (p === 0 && !flip) return raw;
    const [n, c, h, w] = raw.shape as [number, number, number, number];
    const device = this.options.device;
    const generator = this.#generator;
    const padded = p > 0 ? pad(raw, [p, p, p, p]) : raw;
    const oy = randint(0, 2 * p + 1, [n], { device, generator });
    const ox = randint(0, 2 * p + 1, [n], { device, generator });
    const ys = this.#offsets.narrow(0, 0, h);
    const xs = this.#offsets.narrow(0, 0, w);
    const rows = oy.unsqueeze(1).add(ys.unsqueeze(0));
    let cols = ox.unsqueeze(1).add(xs.unsqueeze(0));
    if (flip) {
      const mirrored = ox.unsqueeze(1).add(xs.flip(0).unsqueeze(0));
      cols = where(rand([n, 1], { device, generator }).lt(0.5), mirrored, cols);
    }
    const batch = arange(n, { device }).view(n, 1, 1, 1);
    const channel = arange(c, { device }).view(1, c, 1, 1);
    return padded.index([batch, channel, rows.view(n, 1, h, 1), cols.view(n, 1, 1, w)]);
  }

  #prepare(x: Tensor): Tensor {
    const { dtype, channelsLast } = this.options;
    // normalise in float32, then cast: bf16 cannot hold the means exactly
    const normalised = x.float().sub(this.#mean).mul(this.#invStd);
    const out = dtype === 'float32' ? normalised : normalised.to(dtype);
    return channelsLast ? out.contiguous({ memoryFormat: 'channelsLast' }) : out;
  }

  dispose(): void {
    for (const t of [this.images, this.labels, this.#mean, this.#invStd, this.#offsets]) t.dispose();
  }
}
