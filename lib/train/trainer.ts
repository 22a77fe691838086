// The Trainer: options resolved (and reconciled with a run being resumed) here; the loop
// itself (lib/train/fit.ts) runs on this thread or in a worker.
import path from 'node:path';

import { z } from 'zod';

import type { ImageDataSplits } from '../data/dataset.js';
import { describe } from '../errors.js';
import { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { buildModel } from './build-model.js';
import { hasCheckpoint, readCheckpointState } from './checkpoint.js';
import { resolveConfig, type ModelName, type TrainConfig, type TrainOptions } from './config.js';
import { joinFromEnvironment } from './distributed.js';
import { fit } from './fit.js';
import { fitInWorker } from './fit-in-worker.js';
import type { EpochResult, FitResult } from './fit-result.js';
import { loadModel } from './load-model.js';
import { Progress, type StepInfo } from './progress.js';
import { resumedConfig, type ResumeChange } from './resume.js';
import { parseTrainState } from './state.js';

export type { EpochResult, FitResult };
export { evaluate } from './evaluate.js';
export { buildModel };

export interface FitOptions {
  /** Stops at the next step boundary, after writing a checkpoint. */
  signal?: AbortSignal;
  onEpochEnd?: (m: EpochResult) => void;
  onBatchEnd?: (s: StepInfo) => void;
  /** With `resume`: told the options this run changes from the saved run's (epochs, lr...) before it starts. */
  onResume?: (changes: ResumeChange[]) => void;
}

/** The Trainer's options: the config's, with a model and data given as objects where wanted. */
export type TrainerInput = Omit<TrainOptions, 'model' | 'data'> & {
  /** A model name, or a Module of your own (trained on this thread). */
  model?: ModelName | Module;
  /** 'cifar10', 'cifar100', 'imagefolder:PATH', or splits of your own (trained on this thread). */
  data?: string | ImageDataSplits;
};

const fitOptions = z.strictObject({
  signal: z.instanceof(AbortSignal).describe('an AbortSignal').optional(),
  onEpochEnd: z.custom<FitOptions['onEpochEnd']>((v) => typeof v === 'function').describe('a function').optional(),
  onBatchEnd: z.custom<FitOptions['onBatchEnd']>((v) => typeof v === 'function').describe('a function').optional(),
  onResume: z.custom<FitOptions['onResume']>((v) => typeof v === 'function').describe('a function').optional(),
});

const trainerOptions = z.strictObject({
  progress: z.instanceof(Progress).describe('a torchnode.train.Progress').optional(),
  thread: z.enum(['worker', 'main']).describe("'worker' or 'main'").optional(),
});

export interface TrainerOptions {
  /** Where progress goes (default: stderr, a bar on a terminal). */
  progress?: Progress;
  /**
   * Where the loop runs. 'worker' (the default): a worker thread, so `await fit()` leaves this
   * thread's event loop free (a CPU step holds its thread ~0.5 s); `model` is set when fit()
   * ends, from last.safetensors. 'main': this thread, `model` set as fit() starts; what a
   * command-line run uses, having nothing else to serve.
   */
  thread?: 'worker' | 'main';
}

/**
 * Trains an image classifier: a ResNet by name or a Module of your own, on CIFAR-10 by default
 * or on any ImageDataSplits. `new Trainer(options)` validates the options (unset ones come
 * from the device's recipe; with `resume`, they are checked against the run being resumed);
 * `fit()` loads the data, trains, evaluates every epoch and writes metrics, curves and
 * checkpoints under `out`. By default the loop runs in a worker thread (see
 * {@link TrainerOptions.thread}): progress, `onBatchEnd` and `onEpochEnd` are relayed to this
 * thread, an aborted `signal` stops it at the next step boundary with a checkpoint, and its
 * errors arrive as the same classes with the same messages.
 *
 * @example
 * const trainer = new Trainer({ model: 'resnet20', epochs: 2, device: 'cpu' });
 * const result = await trainer.fit({ onEpochEnd: (m) => console.log(m.testAccuracy) });
 * const probs = await trainer.model!.predict(images); // the trained weights, on this thread
 * @example
 * const flowers = await data.imageFolder('flowers', { size: 64 });
 * new Trainer({ model: myNet, data: { train: flowers, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], classes: flowers.classes } });
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly progress: Progress;
  readonly thread: 'worker' | 'main';
  /** The model being trained ('main'), or the trained one once fit() has ended ('worker'). */
  model: Module | null = null;
  readonly #model: Module | null;
  readonly #data: ImageDataSplits | null;
  /** The options as given (objects left out), for a resume's check and for the worker. */
  readonly #given: TrainOptions;

  constructor(options?: TrainerInput, trainerOpts?: TrainerOptions) {
    const { model, data, ...rest } = (options ?? {}) as TrainerInput;
    this.#model = model instanceof Module ? model : null;
    this.#data = data !== undefined && typeof data === 'object' ? checkSplits(data) : null;
    this.#given = { ...rest, ...(this.#model === null && model !== undefined && { model }), ...(this.#data === null && data !== undefined && { data }) } as TrainOptions;
    const config = resolveConfig(this.#given);
    if (this.#model) config.model = 'custom';
    if (this.#data) config.data = 'custom';
    this.config = config;
    const o = parseOptions(trainerOptions, trainerOpts, 'new Trainer()');
    this.progress = o.progress ?? new Progress();
    // a Module or data set in memory cannot move to another thread
    const objects = this.#model !== null || this.#data !== null;
    if (objects && o.thread === 'worker') throw new TypeError("Expected thread 'main' for a model or data given as objects (they cannot move to a worker thread) but received 'worker'");
    this.thread = o.thread ?? (objects ? 'main' : 'worker');
  }

  /**
   * Trains to the end (or until `signal` aborts) and returns the run's figures.
   *
   * @example
   * const stop = new AbortController();
   * process.once('SIGTERM', () => stop.abort()); // ends at a step boundary, checkpoint written
   * const { interrupted, out } = await trainer.fit({ signal: stop.signal, onBatchEnd: (s) => log(s.loss) });
   */
  async fit(options: FitOptions = {}): Promise<FitResult> {
    const o = parseOptions(fitOptions, options, 'Trainer.fit()') as FitOptions;
    if (this.thread === 'main') return this.#fitHere(o);
    // the worker resolves the same options (with this run's out, which may be a fresh timestamp)
    const result = await fitInWorker({ ...this.#given, out: this.config.out }, this.progress, o);
    const last = path.join(result.out, 'last.safetensors');
    if (hasCheckpoint(result.out, 'last')) this.model = loadModel(last, { device: result.device, channelsLast: this.config.channelsLast });
    return result;
  }

  async #fitHere(options: FitOptions): Promise<FitResult> {
    // with resume: the saved run's config, with the options that may change applied
    const { config, changes } = this.config.resume && hasCheckpoint(this.config.out, 'last')
      ? resumedConfig(savedConfig(this.config.out), this.#given, this.config) : { config: this.config, changes: [] };
    if (changes.length) options.onResume?.(changes);
    // under `torchnode launch`: one rank of a data-parallel run (WORLD_SIZE > 1)
    const dist = await joinFromEnvironment(config.device);
    try {
      return await fit({ ...options, config: dist ? { ...config, device: dist.device } : config, progress: this.progress, dist,
        model: this.#model, data: this.#data, changes, onModel: (m) => { this.model = m; } });
    } finally {
      dist?.group.destroy();
    }
  }
}

/** The config a run in `out` was started with, from its last checkpoint. */
function savedConfig(out: string): TrainConfig {
  const { state, stateFile } = readCheckpointState(out, 'last');
  return parseTrainState(state, stateFile).config;
}

function checkSplits(d: ImageDataSplits): ImageDataSplits {
  const isData = (s: unknown) => s !== null && typeof s === 'object' && (('images' in s && 'labels' in s) || ('length' in s && 'get' in s));
  const numbers = (a: unknown) => Array.isArray(a) && a.every((v) => typeof v === 'number');
  if (!isData(d.train)) throw new TypeError(`Expected a Dataset or TensorDataset for data.train but received ${describe(d.train)}`);
  if (d.test !== undefined && !isData(d.test)) throw new TypeError(`Expected a Dataset or TensorDataset for data.test but received ${describe(d.test)}`);
  if (!numbers(d.mean) || !numbers(d.std)) throw new TypeError(`Expected arrays of numbers (one per channel) for data.mean and data.std but received ${describe(d.mean)} and ${describe(d.std)}`);
  if (!Array.isArray(d.classes) || d.classes.length === 0) throw new TypeError(`Expected a non-empty array of class names for data.classes but received ${describe(d.classes)}`);
  return d;
}
