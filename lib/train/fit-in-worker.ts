// The calling side of a fit() run in a worker thread. A training step is native work composed by
// JS, op by op, and holds its thread for the whole step (~0.5 s for a CIFAR ResNet-20 batch on a
// CPU); run in a worker, the unchanged loop blocks only the worker's event loop, never the caller's.
import { Worker } from 'node:worker_threads';

import { TorchError } from '../errors.js';
import type { TrainOptions } from './config.js';
import { workerExecArgv } from './worker-argv.js';
import { reviveError } from './error-transfer.js';
import type { Progress } from './progress.js';
import type { FitOptions, FitResult } from './trainer.js';
import type { FitWorkerData, FromWorker, ToWorker } from './worker-protocol.js';

/**
 * Runs the training loop for `options` in a new worker thread: progress and callbacks are relayed
 * here in order, `signal` is forwarded (the loop stops at its next step boundary and writes a
 * checkpoint), and errors arrive as their own classes. Settles once the worker has exited, so its
 * tensors have been freed by then.
 */
export function fitInWorker(options: TrainOptions, progress: Progress, { signal, onEpochEnd, onBatchEnd, onResume }: FitOptions): Promise<FitResult> {
  return new Promise((resolve, reject) => {
    const workerData: FitWorkerData = { options };
    const worker = new Worker(new URL('./fit-worker.js', import.meta.url), { workerData, execArgv: workerExecArgv() });
    let outcome: { result: FitResult } | { error: unknown } | null = null;
    const forwardAbort = (): void => worker.postMessage({ kind: 'abort' } satisfies ToWorker);
    if (signal?.aborted) forwardAbort();
    else signal?.addEventListener('abort', forwardAbort, { once: true });

    worker.on('message', (m: FromWorker) => {
      if (outcome !== null) return;
      try {
        switch (m.kind) {
          case 'step': progress.step(m.info, m.secondsLeft); break;
          case 'line': progress.line(m.text); break;
          case 'batch': onBatchEnd?.(m.info); break;
          case 'epoch': onEpochEnd?.(m.result); break;
          case 'resume': onResume?.(m.changes); break;
          case 'done': outcome = { result: m.result }; break;
          case 'error': outcome = { error: reviveError(m.error) }; break;
        }
      } catch (e) {
        // a callback threw: as on the calling thread, training ends with that error
        outcome = { error: e };
        void worker.terminate();
      }
    });
    // thrown outside the loop's try (the worker failed to start or load the addon)
    worker.on('error', (e) => {
      outcome ??= { error: e };
    });
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', forwardAbort);
      if (outcome !== null && 'result' in outcome) resolve(outcome.result);
      else reject(outcome?.error ?? new TorchError(`the training worker thread exited (code ${code}) before training finished`));
    });
  });
}
