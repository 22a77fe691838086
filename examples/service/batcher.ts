// Micro-batching: requests that arrive while a forward runs wait and go together in the next
// one. One forward at a time keeps libtorch's threads for a single batch (no oversubscription),
// a busy server gets big batches, and an idle one answers a lone request at once.
import * as torch from 'torchnode';

/** How long the batcher waits idle before returning freed host memory to the system. */
export const TRIM_IDLE_MS = 200;

interface Pending {
  planes: Uint8Array;
  resolve: (probabilities: Float32Array) => void;
  reject: (e: unknown) => void;
}

/** What the batcher needs of the model's training data: its image size and normalisation. */
export interface ImageInfo {
  inputSize: readonly [number, number];
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Class probabilities of RGB images at the model's input size (planar bytes [3, H, W]), computed
 * by `model.predict` off the JS thread (a module, or its `optimizeForInference()` copy),
 * normalised as in training.
 *
 * @example
 * const batcher = new PredictBatcher(model, torch.models.readModelInfo(checkpoint), { maxBatch: 64 });
 * const probabilities = await batcher.predict(planes); // Float32Array(10) for CIFAR-10
 */
export class PredictBatcher {
  readonly #model: torch.nn.Module | torch.InferenceModel;
  readonly #maxBatch: number;
  readonly #device: torch.Device;
  readonly #image: ImageInfo;
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  #trim: NodeJS.Timeout | null = null;

  constructor(model: torch.nn.Module | torch.InferenceModel, image: ImageInfo, { maxBatch = 64, device = 'cpu' as torch.Device } = {}) {
    this.#model = model;
    this.#image = image;
    this.#maxBatch = maxBatch;
    this.#device = device;
  }

  /** Images queued or being computed. */
  get pending(): number {
    return this.#queue.length;
  }

  predict(planes: Uint8Array): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ planes, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Nothing native is held between batches; stops the idle trim's timer. */
  dispose(): void {
    if (this.#trim) clearTimeout(this.#trim);
    this.#trim = null;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const { data, classes } = await this.#forward(batch.map((p) => p.planes));
          batch.forEach((p, i) => p.resolve(data.subarray(i * classes, (i + 1) * classes)));
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.#running = null;
      this.#trimWhenIdle();
    }
  }

  // glibc keeps what the forwards freed in its per-thread arenas (tens of MB after a burst of
  // mixed batch sizes): hand it back once no batch has run for TRIM_IDLE_MS, off the busy path
  #trimWhenIdle(): void {
    if (this.#trim) {
      this.#trim.refresh();
      return;
    }
    this.#trim = setTimeout(() => {
      this.#trim = null;
      if (!this.#running) torch.releaseHostMemory();
    }, TRIM_IDLE_MS).unref();
  }

  async #forward(images: Uint8Array[]): Promise<{ data: Float32Array; classes: number }> {
    const bytes = new Uint8Array(images.length * images[0]!.length);
    images.forEach((img, i) => bytes.set(img, i * img.length));
    // the same preprocessing as torchnode predict: data.transforms
    const { toTensor, normalize } = torch.data.transforms;
    const [h, w] = this.#image.inputSize;
    const x = torch.tidy(() => normalize(toTensor(torch.tensor(bytes, { shape: [images.length, 3, h, w] }).to(this.#device)),
      { mean: this.#image.mean, std: this.#image.std }));
    let probs: torch.Tensor | undefined;
    try {
      probs = await this.#model.predict(x);
      return { data: (await probs.toTypedArrayAsync()) as Float32Array, classes: probs.shape[1]! };
    } finally {
      x.dispose();
      probs?.dispose();
    }
  }
}
