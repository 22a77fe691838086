// One training epoch (or the rest of one): steps at the schedule's learning rate, progress and
// step lines at log points (the one host read of an interval), a stop at a step boundary.
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import type { Schedule } from '../optim/index.js';
import type { TrainConfig } from './config.js';
import { anyRank, sumAcross, type DistributedRun } from './distributed.js';
import type { ImagePipeline } from '../data/pipeline.js';
import type { Progress, StepInfo } from './progress.js';
import type { RunOutput } from './run-output.js';
import type { EpochSums, StepLine } from './state.js';
import type { Stepper } from './stepper.js';
import type { TensorBoardWriter } from './tensorboard.js';

export interface EpochRun {
  config: TrainConfig;
  data: ImagePipeline;
  stepper: Stepper;
  lrAt: Schedule;
  dist: DistributedRun | null;
  progress: Progress;
  output: RunOutput;
  tensorboard: TensorBoardWriter | null;
  /** The per-step lines so far (kept in checkpoints, so a resumed run rewrites them once). */
  steps: StepLine[];
  signal?: AbortSignal;
  onBatchEnd?: (s: StepInfo) => void;
  /** Writes `last` mid-epoch when stopped. */
  checkpoint: (at: { epoch: number; batch: number; step: number }, sums: EpochSums) => void;
}

export interface EpochOutcome {
  step: number;
  lr: number;
  /** Summed over ranks. */
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
  stopped: boolean;
}

/** The epoch's sums over every rank (the one sync that ends it). */
async function sums(r: EpochRun, seen: number): Promise<[number, number, number]> {
  const local = [r.stepper.lossSum.item() as number, r.stepper.correct.item() as number, seen];
  const [l, k, n] = r.dist ? await sumAcross(r.dist, local) : local;
  return [l!, k!, n!];
}

/** Runs epoch `epoch` from batch `batch` on, its sums starting at `partial`. */
export async function trainEpoch(r: EpochRun, epoch: number, batch: number, step: number, partial: EpochSums): Promise<EpochOutcome> {
  const { config, stepper, progress } = r;
  const epochStart = Date.now() - partial.seconds * 1000;
  const batches = r.data.batchesPerEpoch;
  stepper.begin(partial);
  let seen = partial.seen;
  let lr = r.lrAt(step);
  try {
    for (const b of r.data.epoch(epoch, batch)) {
      lr = r.lrAt(step);
      seen += b.y.shape[0]!;
      await stepper.run(b, lr);
      step++;
      batch = b.index + 1;
      const seconds = (Date.now() - epochStart) / 1000;
      if (batch % config.logEvery === 0 || batch === batches) {
        const info: StepInfo = { epoch, epochs: config.epochs, batch, batches, loss: (stepper.lossSum.item() as number) / seen, lr,
          imagesPerSecond: (seen - partial.seen) / Math.max(seconds - partial.seconds, 1e-9) };
        progress.step(info, ((config.epochs - epoch) * batches - batch) * (seconds / Math.max(batch, 1)));
        logStep(r, { step, epoch: epoch + 1, batch, loss: info.loss, lr, imagesPerSecond: info.imagesPerSecond });
        r.onBatchEnd?.(info);
      }
      await yieldToEventLoop();
      // every rank stops at the same step, whichever of them was signalled
      const stopNow = r.dist ? await anyRank(r.dist, r.signal?.aborted ?? false) : r.signal?.aborted;
      if (stopNow && batch < batches) {
        // the epoch's running sums over all ranks: rank 0 alone carries them on after a resume
        const [lossSum, correct, n] = await sums(r, seen);
        r.checkpoint({ epoch, batch, step }, { lossSum, correct, seen: n, seconds });
        progress.line(`torchnode: stopped at epoch ${epoch + 1}, batch ${batch}; checkpoint written to ${path.join(config.out, 'last.safetensors')}`);
        return { step, lr, lossSum, correct, seen: n, seconds, stopped: true };
      }
    }
    const seconds = (Date.now() - epochStart) / 1000;
    const [lossSum, correct, n] = await sums(r, seen);
    return { step, lr, lossSum, correct, seen: n, seconds, stopped: false };
  } finally {
    stepper.end();
  }
}

/** A step line in metrics.jsonl and TensorBoard, when asked for (the lead rank only). */
function logStep(r: EpochRun, line: StepLine): void {
  if (!r.output.lead) return;
  if (r.config.stepMetrics) {
    r.steps.push(line);
    r.output.appendStep(line);
  }
  r.tensorboard?.scalars(line.step, { 'train/loss': line.loss, 'train/lr': line.lr, 'train/images_per_second': line.imagesPerSecond });
}
