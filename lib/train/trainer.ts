// The CIFAR-10 training loop: on-device data, one tidy scope per step, metrics read from the
// device only at log points, checkpoints that resume exactly.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import { z } from 'zod';

import { autocast } from '../autocast.js';
import { noGrad } from '../autograd.js';
import { zeros } from '../creation.js';
import { backends } from '../cuda.js';
import { CIFAR10_MEAN, CIFAR10_STD, loadCifar10 } from '../data/cifar10.js';
import { ImagePipeline } from '../data/pipeline.js';
import { TorchError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { crossEntropy } from '../functional.js';
import type { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { AdamW, SGD, EMA, GradScaler, oneCycle, cosineWithWarmup, multiStep, type Schedule } from '../optim/index.js';
import { manualSeed } from '../runtime.js';
import { keep, tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { DistributedDataParallel } from '../distributed/ddp.js';
import { DistributedSampler } from '../distributed/sampler.js';
import { buildModel } from './build-model.js';
import { CapturableStep } from './capturable-step.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { cudaGraphsWhyNot, resolveConfig, type TrainConfig, type TrainOptions } from './config.js';
import { curvesSvg, type EpochMetrics } from './curves.js';
import { anyRank, joinFromEnvironment, sumAcross, type DistributedRun } from './distributed.js';
import { fitInWorker } from './fit-in-worker.js';
import { loadModel } from './load-model.js';
import { prepareOutputDir, reasonOf, writeError } from './output-dir.js';
import { Progress, type StepInfo } from './progress.js';

export interface EpochResult extends EpochMetrics {
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface FitResult {
  /** Test accuracy after the last epoch (null without a test set). */
  testAccuracy: number | null;
  bestTestAccuracy: number | null;
  epochs: number;
  trainSeconds: number;
  imagesPerSecond: number;
  device: string;
  model: string;
  history: EpochResult[];
  /** True when stopped early by the signal; a checkpoint was written. */
  interrupted: boolean;
  out: string;
}

export interface FitOptions {
  /** Stops at the next step boundary, after writing a checkpoint. */
  signal?: AbortSignal;
  onEpochEnd?: (m: EpochResult) => void;
  onBatchEnd?: (s: StepInfo) => void;
}

type Optimizer = SGD | AdamW;

export { buildModel };

const fitOptions = z.strictObject({
  signal: z.instanceof(AbortSignal).describe('an AbortSignal').optional(),
  onEpochEnd: z.custom<FitOptions['onEpochEnd']>((v) => typeof v === 'function').describe('a function').optional(),
  onBatchEnd: z.custom<FitOptions['onBatchEnd']>((v) => typeof v === 'function').describe('a function').optional(),
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
 * Trains a ResNet on CIFAR-10. `new Trainer(options)` validates the options (unset ones come
 * from the device's recipe); `fit()` loads the data, trains, evaluates every epoch and writes
 * metrics, curves and checkpoints under `out`. By default the loop runs in a worker thread
 * (see {@link TrainerOptions.thread}): progress, `onBatchEnd` and `onEpochEnd` are relayed to
 * this thread, an aborted `signal` stops it at the next step boundary with a checkpoint, and
 * its errors arrive as the same classes with the same messages.
 *
 * @example
 * const trainer = new Trainer({ model: 'resnet20', epochs: 2, device: 'cpu' });
 * const result = await trainer.fit({ onEpochEnd: (m) => console.log(m.testAccuracy) });
 * const probs = await trainer.model!.predict(images); // the trained weights, on this thread
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly progress: Progress;
  readonly thread: 'worker' | 'main';
  /** The model being trained ('main'), or the trained one once fit() has ended ('worker'). */
  model: Module | null = null;

  constructor(options?: TrainOptions, trainerOpts?: TrainerOptions) {
    this.config = resolveConfig(options);
    const o = parseOptions(trainerOptions, trainerOpts, 'new Trainer()');
    this.progress = o.progress ?? new Progress();
    this.thread = o.thread ?? 'worker';
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
    const result = await fitInWorker(this.config, this.progress, o);
    const last = path.join(result.out, 'last.safetensors');
    if (hasCheckpoint(result.out, 'last')) this.model = loadModel(last, { device: result.device, channelsLast: this.config.channelsLast });
    return result;
  }

  async #fitHere(options: FitOptions): Promise<FitResult> {
    // under `torchnode launch`: one rank of a data-parallel run (WORLD_SIZE > 1)
    const dist = await joinFromEnvironment(this.config.device);
    try {
      return await this.#fitRank(options, dist);
    } finally {
      dist?.group.destroy();
    }
  }

  async #fitRank({ signal, onEpochEnd, onBatchEnd }: FitOptions, dist: DistributedRun | null): Promise<FitResult> {
    const c = dist ? { ...this.config, device: dist.device } : this.config;
    // only rank 0 prints, writes metrics and checkpoints
    const lead = !dist || dist.lead;
    const progress = lead ? this.progress : new Progress(process.stderr, true);
    // a directory that cannot take checkpoints fails here, before any data is loaded
    if (lead) prepareOutputDir(c.out);
    else mkdirSync(c.out, { recursive: true });
    const found = c.resume && hasCheckpoint(c.out, 'last');
    if (dist && c.resume) {
      const seen = await sumAcross(dist, [found ? 1 : 0]);
      if (seen[0]! !== 0 && seen[0]! !== dist.worldSize) {
        throw new TorchError(`rank ${dist.rank} ${found ? 'sees' : 'does not see'} ${path.join(c.out, 'last.safetensors')} but other ranks ${found ? 'do not' : 'do'}: ` +
          'resuming a distributed run needs --out on a file system every node shares');
      }
    }
    const resumed = found ? loadCheckpoint(c.out, 'last', c.device) : null;
    if (c.resume && !resumed) progress.line(`torchnode: nothing to resume in ${c.out}; starting afresh`);
    const config: TrainConfig = resumed ? { ...(resumed.state.config as TrainConfig), out: c.out, device: c.device, resume: true } : c;
    if (config.device.startsWith('cuda')) {
      const off = config.cudaGraphs ? null : cudaGraphsWhyNot(config);
      if (off) progress.line(`torchnode: CUDA graphs off: the step ${off}`);
      else if (config.cudaGraphs) progress.line('torchnode: CUDA graphs on: the step is captured after 3 warm-up steps, then replayed');
      backends.cudnn.benchmark = true;
      backends.cudnn.allowTF32 = true;
      backends.cuda.matmul.allowTF32 = true;
    }

    const [train, test] = await Promise.all([
      loadCifar10({ split: 'train', dir: config.dataDir, source: config.dataSource, limit: config.limitTrain }),
      config.limitTest === 0 ? null : loadCifar10({ split: 'test', dir: config.dataDir, source: config.dataSource, limit: config.limitTest }),
    ]);
    const common = { device: config.device, mean: CIFAR10_MEAN, std: CIFAR10_STD, seed: config.seed, channelsLast: config.channelsLast,
      dtype: config.amp === 'none' ? 'float32' as const : config.amp === 'bf16' ? 'bfloat16' as const : 'float16' as const };
    if (config.capturable && train.images.shape[0]! < config.batchSize) {
      for (const t of [train.images, train.labels, test?.images, test?.labels]) t?.dispose();
      throw new TypeError(`capturable needs at least one full batch: ${train.images.shape[0]} training images, batch size ${config.batchSize}`);
    }
    const trainData = new ImagePipeline({ ...common, images: train.images, labels: train.labels, batchSize: config.batchSize,
      cropPadding: 4, flip: true, shuffle: true, dropLast: train.images.shape[0]! >= config.batchSize * (dist?.worldSize ?? 1),
      // each rank its share of every epoch; the evaluation split unpadded, its sums added up
      ...(dist && { sampler: new DistributedSampler({ size: train.images.shape[0]!, rank: dist.rank, worldSize: dist.worldSize, seed: config.seed }) }) });
    const testData = test ? new ImagePipeline({ ...common, images: test.images, labels: test.labels, batchSize: Math.max(config.batchSize, 256),
      ...(dist && { sampler: new DistributedSampler({ size: test.images.shape[0]!, rank: dist.rank, worldSize: dist.worldSize, shuffle: false, pad: false }) }) }) : null;
    for (const t of [train.images, train.labels, test?.images, test?.labels]) t?.dispose();
    // the model is seeded independently of the data streams
    manualSeed(config.seed);
    const model = (this.model = buildModel(config).to({ device: config.device, ...(config.channelsLast && { memoryFormat: 'channelsLast' as const }) }));
    const optimizer: Optimizer = config.optimizer === 'sgd'
      ? new SGD(model.parameters(), { lr: config.lr, momentum: config.momentum, nesterov: config.nesterov && config.momentum > 0, weightDecay: config.weightDecay })
      : new AdamW(model.parameters(), { lr: config.lr, weightDecay: config.weightDecay });
    const steps = config.epochs * trainData.batchesPerEpoch;
    const lrAt = schedule(config, steps);
    const ema = config.ema > 0 ? new EMA(model, { decay: config.ema }) : null;
    // the EMA weights are evaluated in a second model, so training continues from its own
    const emaEval = ema ? buildModel(config).to({ device: config.device, ...(config.channelsLast && { memoryFormat: 'channelsLast' as const }) }) : null;
    const scaler = new GradScaler({ enabled: config.amp === 'fp16' });

    let { epoch, batch, step } = { epoch: 0, batch: 0, step: 0 };
    let history: EpochResult[] = [];
    let best: number | null = null;
    let partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
    if (resumed) {
      model.loadStateDict(resumed.weights);
      const s = resumed.state as CheckpointState & { optimizer: unknown; ema: unknown; history: EpochResult[]; best: number | null; partial: typeof partial };
      optimizer.loadStateDict({ meta: s.optimizer as never, tensors: prefixed(resumed.stateTensors, 'optimizer.') });
      if (ema && s.ema) ema.loadStateDict({ meta: s.ema as never, tensors: prefixed(resumed.stateTensors, 'ema.') });
      ({ epoch, batch, step } = s);
      history = s.history;
      best = s.best;
      partial = lead ? s.partial : { lossSum: 0, correct: 0, seen: 0, seconds: s.partial.seconds };
      for (const t of [...resumed.weights.values(), ...resumed.stateTensors.values()]) t.dispose();
      progress.line(`torchnode: resuming ${config.out} at epoch ${epoch + 1}, batch ${batch}`);
    }

    // rank 0's weights go to every rank (after a resume all ranks loaded the same checkpoint anyway)
    const ddp = dist ? await DistributedDataParallel.create(model, { group: dist.group }) : null;
    if (dist) progress.line(`torchnode: data-parallel over ${dist.worldSize} ranks (${dist.group.backend}), batch ${config.batchSize} per rank`);
    // where the last checkpoint on disk stands, for the message of a write that fails
    let saved = resumed ? position(resumed.state) : null;
    const output = (what: string, write: () => void) => {
      if (lead) writeExplained(what, write, config.out, saved);
    };
    const checkpoint = (name: string, at: { epoch: number; batch: number; step: number }, sums: typeof partial) =>
      output(`the checkpoint ${path.join(config.out, `${name}.safetensors`)}`, () => tidy(() => {
        const opt = optimizer.stateDict();
        const emaState = ema?.stateDict();
        const tensors = new Map<string, Tensor>([...withPrefix(opt.tensors, 'optimizer.'), ...(emaState ? withPrefix(emaState.tensors, 'ema.') : [])]);
        saveCheckpoint(config.out, name, model.stateDict(), tensors,
          { ...at, config, optimizer: opt.meta, ema: emaState?.meta ?? null, history, best, partial: sums },
          { model: config.model, stem: config.stem, numClasses: '10', epoch: String(at.epoch) });
        if (name === 'last') saved = position(at);
      }));

    // created after a resume has loaded the optimizer's state, which it then updates in place
    if (config.capturable && dist) {
      throw new TypeError('capturable does not run under torchnode launch yet: DDP averages the gradients between backward and the update, outside the step');
    }
    const capturable = config.capturable ? new CapturableStep(model, optimizer as SGD, { batchSize: config.batchSize, inputShape: [3, 32, 32],
      inputDtype: common.dtype, channelsLast: config.channelsLast, amp: config.amp as 'none' | 'bf16', labelSmoothing: config.labelSmoothing,
      cudaGraph: (config.cudaGraphs ?? false) && config.device.startsWith('cuda') }, ema) : null;

    let interrupted = false;
    const batches = trainData.batchesPerEpoch;
    for (; epoch < config.epochs && !interrupted; epoch++, batch = 0) {
      model.train();
      const epochStart = Date.now() - partial.seconds * 1000;
      capturable?.resetMetrics(partial);
      // the capturable step keeps its own (static) accumulators
      const lossSum = capturable?.lossSum ?? keep(zeros([], { device: config.device, dtype: 'float64' }).add_(partial.lossSum));
      const correct = capturable?.correct ?? keep(zeros([], { device: config.device, dtype: 'int64' }).add_(partial.correct));
      const release = () => {
        if (capturable) return;
        lossSum.dispose();
        correct.dispose();
      };
      let seen = partial.seen;
      let lr = lrAt(step);
      for (const b of trainData.epoch(epoch, batch)) {
        lr = optimizer.lr = lrAt(step);
        if (capturable) {
          capturable.setLr(lr);
          capturable.load(b.x, b.y);
          capturable.run();
          seen += b.y.shape[0]!;
          b.x.dispose();
          b.y.dispose();
        } else tidy(() => {
          const { x, y } = b;
          const forward = () => {
            const logits = model.forward(x);
            return { logits, loss: crossEntropy(logits, y, { labelSmoothing: config.labelSmoothing }) };
          };
          const { logits, loss } = config.amp === 'none' ? forward()
            : autocast({ deviceType: config.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: config.amp === 'bf16' ? 'bfloat16' : 'float16' }, forward);
          scaler.scale(loss).backward();
          noGrad(() => {
            lossSum.add_(loss.detach().double().mul(y.shape[0]!));
            correct.add_(logits.argmax(1).eq(y).sum());
          });
          seen += y.shape[0]!;
          x.dispose();
          y.dispose();
        });
        if (!capturable) {
          // the buckets started during backward; wait for the averages off the JS thread
          if (ddp) await ddp.syncGradients();
          tidy(() => {
            scaler.step(optimizer);
            scaler.update();
            optimizer.zeroGrad();
            ema?.update();
          });
        }
        step++;
        batch = b.index + 1;
        const seconds = (Date.now() - epochStart) / 1000;
        if (batch % config.logEvery === 0 || batch === batches) {
          // the one host-device sync of a log interval
          const info: StepInfo = { epoch, epochs: config.epochs, batch, batches, loss: (lossSum.item() as number) / seen, lr,
            imagesPerSecond: (seen - partial.seen) / Math.max(seconds - partial.seconds, 1e-9) };
          const left = ((config.epochs - epoch) * batches - batch) * (seconds / Math.max(batch, 1));
          progress.step(info, left);
          onBatchEnd?.(info);
        }
        await yieldToEventLoop();
        // every rank stops at the same step, whichever of them was signalled
        const stopNow = dist ? await anyRank(dist, signal?.aborted ?? false) : signal?.aborted;
        if (stopNow && batch < batches) {
          // the epoch's running sums over all ranks: rank 0 alone carries them on after a resume
          const [l, k, n] = dist ? await sumAcross(dist, [lossSum.item() as number, correct.item() as number, seen])
            : [lossSum.item() as number, correct.item() as number, seen];
          checkpoint('last', { epoch, batch, step }, { lossSum: l!, correct: k!, seen: n!, seconds });
          progress.line(`torchnode: stopped at epoch ${epoch + 1}, batch ${batch}; checkpoint written to ${path.join(config.out, 'last.safetensors')}`);
          interrupted = true;
          break;
        }
      }
      if (interrupted) {
        release();
        break;
      }
      const seconds = (Date.now() - epochStart) / 1000;
      const [lossTotal, correctTotal, seenTotal] = dist ? await sumAcross(dist, [lossSum.item() as number, correct.item() as number, seen])
        : [lossSum.item() as number, correct.item() as number, seen];
      const trainLoss = lossTotal! / seenTotal!;
      const trainAccuracy = correctTotal! / seenTotal!;
      release();
      partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      if (ema && emaEval) ema.copyTo(emaEval);
      const evaluated = testData ? await evaluateAcross(emaEval ?? model, testData, config, dist) : null;
      const result: EpochResult = { epoch: epoch + 1, trainLoss, trainAccuracy, testLoss: evaluated?.loss ?? null,
        testAccuracy: evaluated?.accuracy ?? null, lr, seconds, imagesPerSecond: seenTotal! / seconds };
      history.push(result);
      const improved = result.testAccuracy !== null && (best === null || result.testAccuracy > best);
      if (improved) best = result.testAccuracy;
      // rewritten whole from the history, so an epoch run again after a kill is not listed twice
      const metricsFile = path.join(config.out, 'metrics.jsonl');
      output(metricsFile, () => writeText(metricsFile, history.map((m) => `${JSON.stringify(m)}\n`).join('')));
      const curvesFile = path.join(config.out, 'curves.svg');
      output(curvesFile, () => writeText(curvesFile, curvesSvg(history)));
      // best before last: killed between them, the resumed run redoes this epoch and writes both again
      if (improved) checkpoint('best', { epoch: epoch + 1, batch: 0, step }, partial);
      checkpoint('last', { epoch: epoch + 1, batch: 0, step }, partial);
      progress.line(`epoch ${epoch + 1}/${config.epochs}: train loss ${trainLoss.toFixed(4)} acc ${(trainAccuracy * 100).toFixed(2)}%` +
        (result.testAccuracy === null ? '' : `, test loss ${result.testLoss!.toFixed(4)} acc ${(result.testAccuracy * 100).toFixed(2)}%`) +
        `, ${seconds.toFixed(1)} s, ${Math.round(result.imagesPerSecond)} img/s`);
      onEpochEnd?.(result);
      const stopAfterEpoch = dist ? await anyRank(dist, signal?.aborted ?? false) : signal?.aborted;
      if (stopAfterEpoch && epoch + 1 < config.epochs) interrupted = true;
    }
    capturable?.dispose();
    ddp?.release();
    trainData.dispose();
    testData?.dispose();
    emaEval?.dispose();
    const trainSeconds = history.reduce((s, m) => s + m.seconds, 0);
    const images = history.reduce((s, m) => s + m.imagesPerSecond * m.seconds, 0);
    return {
      testAccuracy: history.at(-1)?.testAccuracy ?? null, bestTestAccuracy: best, epochs: history.length, trainSeconds,
      imagesPerSecond: trainSeconds > 0 ? images / trainSeconds : 0, device: config.device, model: config.model, history, interrupted, out: config.out,
    };
  }
}

/**
 * Loss and accuracy on a data set: eval mode, no grad, optional flip TTA; one sync at the end.
 * @example
 * const { accuracy } = train.evaluate(model, testPipeline, { amp: 'none', tta: true, device: 'cpu' });
 */
export function evaluate(model: Module, data: ImagePipeline, config: Pick<TrainConfig, 'amp' | 'tta' | 'device'>): { loss: number; accuracy: number } {
  const s = evaluateSums(model, data, config);
  return { loss: s.lossSum / s.seen, accuracy: s.correct / s.seen };
}

// Each rank evaluates its share; the sums are added up across ranks.
async function evaluateAcross(model: Module, data: ImagePipeline, config: Pick<TrainConfig, 'amp' | 'tta' | 'device'>,
  dist: DistributedRun | null): Promise<{ loss: number; accuracy: number }> {
  const s = evaluateSums(model, data, config);
  const [lossSum, correct, seen] = dist ? await sumAcross(dist, [s.lossSum, s.correct, s.seen]) : [s.lossSum, s.correct, s.seen];
  return { loss: lossSum! / seen!, accuracy: correct! / seen! };
}

function evaluateSums(model: Module, data: ImagePipeline, config: Pick<TrainConfig, 'amp' | 'tta' | 'device'>): { lossSum: number; correct: number; seen: number } {
  const wasTraining = model.training;
  model.eval();
  const lossSum = keep(zeros([], { device: config.device, dtype: 'float64' }));
  const correct = keep(zeros([], { device: config.device, dtype: 'int64' }));
  let seen = 0;
  for (const { x, y } of data.epoch(0)) {
    tidy(() => noGrad(() => {
      const run = () => {
        const logits = model.forward(x);
        return config.tta ? logits.add(model.forward(x.flip(3))).div(2) : logits;
      };
      const logits = (config.amp === 'none' ? run()
        : autocast({ deviceType: config.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: config.amp === 'bf16' ? 'bfloat16' : 'float16' }, run)).float();
      lossSum.add_(crossEntropy(logits, y).double().mul(y.shape[0]!));
      correct.add_(logits.argmax(1).eq(y).sum());
      seen += y.shape[0]!;
      x.dispose();
      y.dispose();
    }));
  }
  const out = { lossSum: lossSum.item() as number, correct: correct.item() as number, seen };
  lossSum.dispose();
  correct.dispose();
  model.train(wasTraining);
  return out;
}

function schedule(c: TrainConfig, steps: number): Schedule {
  switch (c.schedule) {
    case 'onecycle': {
      if (steps < 3) return () => c.lr;
      // very short runs: keep both phases at least one step long (PyTorch divides by zero there)
      return oneCycle({ maxLr: c.lr, totalSteps: steps, pctStart: Math.min(Math.max(c.warmup, 1.5 / steps), 1 - 0.5 / steps) });
    }
    case 'cosine': return cosineWithWarmup({ baseLr: c.lr, warmupSteps: Math.round(c.warmup * steps), totalSteps: steps });
    case 'multistep': return multiStep({ baseLr: c.lr, milestones: [Math.round(0.5 * steps), Math.round(0.75 * steps)] });
    case 'constant': return () => c.lr;
  }
}

function withPrefix(tensors: Map<string, Tensor> | Record<string, Tensor>, prefix: string): [string, Tensor][] {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  return entries.map(([k, v]) => [prefix + k, v]);
}

function prefixed(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  return new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

function writeText(file: string, text: string): void {
  writeFileAtomic(file, (write) => write(Buffer.from(text)));
}

/** Where a checkpoint stands, in words: `the end of epoch 2` or `epoch 3, batch 5`. */
function position(at: { epoch: number; batch: number }): string {
  return at.batch === 0 ? `the end of epoch ${at.epoch}` : `epoch ${at.epoch + 1}, batch ${at.batch}`;
}

/** Runs `write`; a system error it throws becomes one that names `what`, the reason and the checkpoint still on disk. */
function writeExplained(what: string, write: () => void, out: string, saved: string | null): void {
  try {
    write();
  } catch (e) {
    if (typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
    const kept = saved === null ? 'no checkpoint had been written yet'
      : `${path.join(out, 'last.safetensors')} still holds ${saved}, and a resumed run continues from there`;
    throw writeError(`cannot write ${what}: ${reasonOf(e)}; ${kept}`, e);
  }
}
