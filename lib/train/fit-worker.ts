// The worker side of `new Trainer(config, { thread: 'worker' }).fit()`: the same loop, run with
// thread 'main' here, its progress and callbacks posted to the calling thread.
import { parentPort, workerData } from 'node:worker_threads';

// the whole API, Tensor methods included, as in the calling thread
import '../index.js';
import { sendError } from './error-transfer.js';
import { Progress, type StepInfo } from './progress.js';
import { Trainer, type TrainerInput } from './trainer.js';
import type { FitWorkerData, FromWorker, ToWorker } from './worker-protocol.js';

if (!parentPort) throw new Error('fit-worker.js runs inside a worker thread started by Trainer.fit()');
const port = parentPort;
const post = (m: FromWorker): void => port.postMessage(m);

/** Progress that draws nothing here: the calling thread's Progress draws it. */
class RelayedProgress extends Progress {
  override step(info: StepInfo, secondsLeft: number): void {
    post({ kind: 'step', info, secondsLeft });
  }

  override line(text: string): void {
    post({ kind: 'line', text });
  }
}

const stop = new AbortController();
// the loop yields to the event loop after every step, so this is seen at the next step boundary
const onMessage = (m: ToWorker): void => {
  if (m.kind === 'abort') stop.abort();
};
port.on('message', onMessage);

const { options } = workerData as FitWorkerData;
try {
  const trainer = new Trainer(options as TrainerInput, { progress: new RelayedProgress(process.stderr, true), thread: 'main' });
  const result = await trainer.fit({
    signal: stop.signal,
    onBatchEnd: (info) => post({ kind: 'batch', info }),
    onEpochEnd: (result) => post({ kind: 'epoch', result }),
    onResume: (changes) => post({ kind: 'resume', changes }),
  });
  trainer.model?.dispose();
  post({ kind: 'done', result });
} catch (e) {
  post({ kind: 'error', error: sendError(e) });
} finally {
  // without a listener nothing keeps this thread alive: it exits, and its cleanup hook frees
  // what is left (posted messages are already queued on the other side)
  port.off('message', onMessage);
}
