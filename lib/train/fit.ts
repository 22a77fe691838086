// The fit loop over the parts: set up (or resume), then per epoch train, evaluate, log and
// checkpoint. Rank 0 alone prints and writes under `torchnode launch`.
import { mkdirSync } from 'node:fs';

import type { ImageDataSplits } from '../data/dataset.js';
import { DistributedDataParallel } from '../distributed/ddp.js';
import type { Module } from '../nn/module.js';
import type { TrainConfig } from './config.js';
import { anyRank, type DistributedRun } from './distributed.js';
import { trainEpoch, type EpochRun } from './epoch.js';
import { evaluateAcross } from './evaluate.js';
import { prepareOutputDir } from './output-dir.js';
import { Progress, type StepInfo } from './progress.js';
import { loadResumePoint, restore, type ResumeChange } from './resume.js';
import { epochLine, partsToSave, RunOutput } from './run-output.js';
import { schedule } from './schedule.js';
import { classCount, configureDevice, prepareData, prepareModel } from './setup.js';
import type { EpochLine, EpochSums } from './state.js';
import { makeStepper } from './stepper.js';
import { TensorBoardWriter } from './tensorboard.js';
import { fitResult, type EpochResult, type FitResult } from './fit-result.js';

export interface FitRun {
  config: TrainConfig;
  progress: Progress;
  dist: DistributedRun | null;
  /** The caller's model and data, when not built from the config. */
  model: Module | null;
  data: ImageDataSplits | null;
  /** Options changed on resume, said in the resuming line. */
  changes: ResumeChange[];
  signal?: AbortSignal;
  onEpochEnd?: (m: EpochResult) => void;
  onBatchEnd?: (s: StepInfo) => void;
  /** Told the model as soon as it exists. */
  onModel?: (m: Module) => void;
}

/**
 * The training loop on this thread (what `Trainer.fit()` runs): from a fresh start or the last
 * checkpoint, to `config.epochs`, or to a step boundary once `signal` aborts.
 * @example
 * const result = await train.fit({ config: train.resolveConfig({ device: 'cpu' }), progress: new train.Progress(),
 *   dist: null, model: null, data: null, changes: [] });
 */
export async function fit(run: FitRun): Promise<FitResult> {
  const { config, dist } = run;
  const lead = !dist || dist.lead;
  const progress = lead ? run.progress : new Progress(process.stderr, true);
  // a directory that cannot take checkpoints fails here, before any data is loaded
  if (lead) prepareOutputDir(config.out);
  else mkdirSync(config.out, { recursive: true });
  const resumed = await loadResumePoint(config, dist, progress);
  configureDevice(config, progress);
  const data = await prepareData(config, run.data, dist);
  const numClasses = classCount(config, data);
  const parts = prepareModel(config, run.model, numClasses, progress);
  run.onModel?.(parts.model);
  const { model, optimizer, ema, emaEval } = parts;
  const at = resumed ? restore(resumed, parts, lead, config, run.changes, progress) : null;
  let { epoch, batch, step } = at ?? { epoch: 0, batch: 0, step: 0 };
  const history: EpochLine[] = at?.history ?? [];
  let best = at?.best ?? null;
  let partial: EpochSums = at?.partial ?? { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
  // rank 0's weights go to every rank (after a resume all ranks loaded the same checkpoint anyway)
  const ddp = dist ? await DistributedDataParallel.create(model, { group: dist.group }) : null;
  if (dist) progress.line(`torchnode: data-parallel over ${dist.worldSize} ranks (${dist.group.backend}), batch ${config.batchSize} per rank`);
  const output = new RunOutput(config, lead, at);
  output.writeConfig();
  const tensorboard = config.tensorboard && lead ? new TensorBoardWriter(config.out) : null;
  const checkpointParts = partsToSave(config, parts, data, numClasses);
  const steps = at?.steps ?? [];
  if (at) output.writeMetrics(history, steps);
  const r: EpochRun = { config, data: data.train, stepper: makeStepper(config, parts, ddp, data.inputShape), lrAt: schedule(config, config.epochs * data.train.batchesPerEpoch),
    dist, progress, output, tensorboard, steps, signal: run.signal, onBatchEnd: run.onBatchEnd,
    checkpoint: (pos, sums) => output.checkpoint('last', checkpointParts, { ...pos, history, best, partial: sums, steps }) };
  let interrupted = false;
  try {
    for (; epoch < config.epochs && !interrupted; epoch++, batch = 0) {
      model.train();
      const e = await trainEpoch(r, epoch, batch, step, partial);
      step = e.step;
      if (e.stopped) {
        interrupted = true;
        break;
      }
      partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      if (ema && emaEval) ema.copyTo(emaEval);
      const evaluated = data.test ? await evaluateAcross(emaEval ?? model, data.test, config, dist) : null;
      const result: EpochResult = { epoch: epoch + 1, trainLoss: e.lossSum / e.seen, trainAccuracy: e.correct / e.seen, testLoss: evaluated?.loss ?? null,
        testAccuracy: evaluated?.accuracy ?? null, lr: e.lr, seconds: e.seconds, imagesPerSecond: e.seen / e.seconds };
      history.push(result);
      const improved = result.testAccuracy !== null && (best === null || result.testAccuracy > best);
      if (improved) best = result.testAccuracy;
      output.writeMetrics(history, steps);
      tensorboard?.scalars(epoch + 1, { 'epoch/train_loss': result.trainLoss, 'epoch/train_accuracy': result.trainAccuracy,
        'epoch/test_loss': result.testLoss ?? NaN, 'epoch/test_accuracy': result.testAccuracy ?? NaN, 'epoch/lr': result.lr });
      // best before last: killed between them, the resumed run redoes this epoch and writes both again
      const state = { epoch: epoch + 1, batch: 0, step, history, best, partial, steps };
      if (improved) output.checkpoint('best', checkpointParts, state);
      output.checkpoint('last', checkpointParts, state);
      progress.line(epochLine(result, config.epochs));
      run.onEpochEnd?.(result);
      const stopAfterEpoch = dist ? await anyRank(dist, run.signal?.aborted ?? false) : run.signal?.aborted;
      if (stopAfterEpoch && epoch + 1 < config.epochs) interrupted = true;
    }
  } finally {
    r.stepper.dispose();
    ddp?.release();
    data.train.dispose();
    data.test?.dispose();
    emaEval?.dispose();
    tensorboard?.close();
  }
  return fitResult(config, history, best, interrupted);
}

