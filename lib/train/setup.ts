// What a run trains with: its data as on-device pipelines, and its model, optimizer, EMA and
// scaler, all built from the config (or the model and data a caller handed over).
import { backends } from '../cuda.js';
import { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD, loadCifar10 } from '../data/cifar10.js';
import type { Dataset, ImageDataSplits, TensorDataset } from '../data/dataset.js';
import { toTensorDataset } from '../data/image-folder.js';
import { ImagePipeline } from '../data/pipeline.js';
import { DistributedSampler } from '../distributed/sampler.js';
import { load } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { AdamW, EMA, GradScaler, SGD } from '../optim/index.js';
import { manualSeed } from '../runtime.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { buildModel } from './build-model.js';
import { cudaGraphsWhyNot, type TrainConfig } from './config.js';
import type { DistributedRun } from './distributed.js';
import type { Progress } from './progress.js';

export interface RunData {
  train: ImagePipeline;
  test: ImagePipeline | null;
  classes: readonly string[];
  mean: readonly number[];
  std: readonly number[];
  /** One image's [C, H, W]. */
  inputShape: number[];
}

export interface RunModel {
  model: Module;
  optimizer: SGD | AdamW;
  ema: EMA | null;
  /** The EMA weights are evaluated in a second model, so training continues from its own. */
  emaEval: Module | null;
  scaler: GradScaler;
}

/** cuDNN's autotuner and TF32 on CUDA, and a line saying whether the step runs as a CUDA graph. */
export function configureDevice(config: TrainConfig, progress: Progress): void {
  if (!config.device.startsWith('cuda')) return;
  const off = config.cudaGraphs ? null : cudaGraphsWhyNot(config);
  if (off) progress.line(`torchnode: CUDA graphs off: the step ${off}`);
  else if (config.cudaGraphs) progress.line('torchnode: CUDA graphs on: the step is captured after 3 warm-up steps, then replayed');
  backends.cudnn.benchmark = true;
  backends.cudnn.allowTF32 = true;
  backends.cuda.matmul.allowTF32 = true;
}

/** The splits of the config's data set, or of `given`. */
async function loadSplits(config: TrainConfig, given: ImageDataSplits | null): Promise<ImageDataSplits> {
  if (given) return given;
  if (config.data === 'cifar10') {
    const [train, test] = await Promise.all([
      loadCifar10({ split: 'train', dir: config.dataDir, source: config.dataSource, limit: config.limitTrain }),
      config.limitTest === 0 ? null : loadCifar10({ split: 'test', dir: config.dataDir, source: config.dataSource, limit: config.limitTest }),
    ]);
    return { train, ...(test && { test }), mean: CIFAR10_MEAN, std: CIFAR10_STD, classes: CIFAR10_CLASSES };
  }
  const { loadDataByName } = await import('./data-by-name.js');
  return loadDataByName(config);
}

/** A split as tensors, its first `limit` examples (views, or the stacked copy). */
function firstOf(d: Dataset | TensorDataset, limit: number | undefined): TensorDataset {
  const all = toTensorDataset(d);
  if (limit === undefined || limit >= all.images.shape[0]!) return all;
  const some = { images: all.images.narrow(0, 0, limit), labels: all.labels.narrow(0, 0, limit) };
  if (all !== d) for (const t of [all.images, all.labels]) t.dispose();
  return some;
}

/** The data as pipelines on the run's device: crop and flip for training, a sampler per rank under launch. */
export async function prepareData(config: TrainConfig, given: ImageDataSplits | null, dist: DistributedRun | null): Promise<RunData> {
  const splits = await loadSplits(config, given);
  const train = firstOf(splits.train, config.limitTrain);
  const test = splits.test && config.limitTest !== 0 ? firstOf(splits.test, config.limitTest) : null;
  // the caller's own tensors are left alone; what was loaded, copied or viewed here is freed once on the device
  const owned = given === null;
  const release = () => {
    for (const [made, from] of [[train, splits.train], [test, splits.test]] as const) {
      const mine = new Set<Tensor>();
      if (made && (made !== from || owned)) [made.images, made.labels].forEach((t) => mine.add(t));
      if (owned && from && 'images' in from) [from.images, from.labels].forEach((t) => mine.add(t));
      for (const t of mine) t.dispose();
    }
  };
  const common = { device: config.device, mean: splits.mean, std: splits.std, seed: config.seed, channelsLast: config.channelsLast,
    dtype: config.amp === 'none' ? 'float32' as const : config.amp === 'bf16' ? 'bfloat16' as const : 'float16' as const };
  const n = train.images.shape[0]!;
  if (config.capturable && n < config.batchSize) {
    release();
    throw new TypeError(`capturable needs at least one full batch: ${n} training images, batch size ${config.batchSize}`);
  }
  try {
    const trainData = new ImagePipeline({ ...common, images: train.images, labels: train.labels, batchSize: config.batchSize,
      cropPadding: 4, flip: true, shuffle: true, dropLast: n >= config.batchSize * (dist?.worldSize ?? 1),
      // each rank its share of every epoch; the evaluation split unpadded, its sums added up
      ...(dist && { sampler: new DistributedSampler({ size: n, rank: dist.rank, worldSize: dist.worldSize, seed: config.seed }) }) });
    const testData = test ? new ImagePipeline({ ...common, images: test.images, labels: test.labels, batchSize: Math.max(config.batchSize, 256),
      ...(dist && { sampler: new DistributedSampler({ size: test.images.shape[0]!, rank: dist.rank, worldSize: dist.worldSize, shuffle: false, pad: false }) }) }) : null;
    return { train: trainData, test: testData, classes: splits.classes, mean: splits.mean, std: splits.std, inputShape: train.images.shape.slice(1) };
  } finally {
    release();
  }
}

/** The number of classes the model ends in: the config's, else the data's. */
export function classCount(config: TrainConfig, data: RunData): number {
  const n = config.numClasses ?? data.classes.length;
  if (n < data.classes.length) throw new TypeError(`Expected at least ${data.classes.length} (the data's classes) for numClasses but received ${n}`);
  return n;
}

/** The model (built, or the caller's), its optimizer, EMA and grad scaler, on the run's device. */
export function prepareModel(config: TrainConfig, given: Module | null, numClasses: number, progress: Progress): RunModel {
  const place = (m: Module) => m.to({ device: config.device, ...(config.channelsLast && { memoryFormat: 'channelsLast' as const }) });
  // the model is seeded independently of the data streams
  manualSeed(config.seed);
  if (given && config.ema > 0) throw new TypeError('ema needs a model built by name (its weights are evaluated in a second copy of the model)');
  const model = place(given ?? buildModel(config as Parameters<typeof buildModel>[0], numClasses));
  if (config.initFrom) initFrom(model, config.initFrom, progress);
  const optimizer = config.optimizer === 'sgd'
    ? new SGD(model.parameters(), { lr: config.lr, momentum: config.momentum, nesterov: config.nesterov && config.momentum > 0, weightDecay: config.weightDecay })
    : new AdamW(model.parameters(), { lr: config.lr, weightDecay: config.weightDecay });
  const ema = config.ema > 0 ? new EMA(model, { decay: config.ema }) : null;
  const emaEval = ema ? place(buildModel(config as Parameters<typeof buildModel>[0], numClasses)) : null;
  return { model, optimizer, ema, emaEval, scaler: new GradScaler({ enabled: config.amp === 'fp16' }) };
}

/** Fine-tuning: the file's weights where their shapes fit the model; a final layer of another size keeps its fresh initialisation. */
function initFrom(model: Module, file: string, progress: Progress): void {
  tidy(() => {
    const weights = load(file);
    const own = model.stateDict();
    const skipped: string[] = [];
    for (const [name, t] of [...weights]) {
      const mine = own.get(name);
      if (mine && mine.shape.join('x') !== t.shape.join('x')) {
        skipped.push(name);
        weights.delete(name);
      }
    }
    model.loadStateDict(new Map([...own, ...weights]));
    progress.line(`torchnode: initialised from ${file}` + (skipped.length ? `; new ${skipped.join(', ')} (the weights file's are another shape)` : ''));
  });
}
