// The messages between `Trainer.fit()` on the calling thread and the loop in its worker.
import type { SentError } from './error-transfer.js';
import type { StepInfo } from './progress.js';
import type { TrainOptions } from './config.js';
import type { ResumeChange } from './resume.js';
import type { EpochResult, FitResult } from './trainer.js';

/** What the worker starts with (its workerData). */
export interface FitWorkerData {
  options: TrainOptions;
}

/** Calling thread to worker. */
export type ToWorker = { kind: 'abort' };

/** Worker to calling thread, in the order the loop produces them. */
export type FromWorker =
  | { kind: 'step'; info: StepInfo; secondsLeft: number }
  | { kind: 'line'; text: string }
  | { kind: 'batch'; info: StepInfo }
  | { kind: 'epoch'; result: EpochResult }
  | { kind: 'resume'; changes: ResumeChange[] }
  | { kind: 'done'; result: FitResult }
  | { kind: 'error'; error: SentError };
