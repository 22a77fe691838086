// The training loop's step, eager (train.step) or capturable (static buffers, optionally a CUDA
// graph), behind one face: begin an epoch's sums, run a batch at a learning rate, read the sums.
import { zeros } from '../creation.js';
import type { Batch } from '../data/pipeline.js';
import type { DistributedDataParallel } from '../distributed/ddp.js';
import type { SGD } from '../optim/index.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { CapturableStep } from './capturable-step.js';
import type { TrainConfig } from './config.js';
import type { RunModel } from './setup.js';
import type { EpochSums } from './state.js';
import { step } from './step.js';

export interface Stepper {
  /** Starts an epoch's device sums at a resumed epoch's (or zero). */
  begin(from: EpochSums): void;
  run(batch: Batch, lr: number): Promise<void>;
  /** The epoch's summed loss (float64) and number right, on the device. */
  readonly lossSum: Tensor;
  readonly correct: Tensor;
  /** Frees the epoch's sums (the capturable step keeps its own). */
  end(): void;
  dispose(): void;
}

export function makeStepper(config: TrainConfig, parts: RunModel, ddp: DistributedDataParallel | null, inputShape: number[]): Stepper {
  if (config.capturable && ddp) {
    throw new TypeError('capturable does not run under torchnode launch yet: DDP averages the gradients between backward and the update, outside the step');
  }
  const { model, optimizer, ema, scaler } = parts;
  if (config.capturable) {
    // created after a resume has loaded the optimizer's state, which it then updates in place
    const c = new CapturableStep(model, optimizer as SGD, { batchSize: config.batchSize, inputShape,
      inputDtype: config.amp === 'none' ? 'float32' : 'bfloat16', channelsLast: config.channelsLast, amp: config.amp as 'none' | 'bf16',
      labelSmoothing: config.labelSmoothing, cudaGraph: (config.cudaGraphs ?? false) && config.device.startsWith('cuda') }, ema);
    return {
      begin: (from) => c.resetMetrics(from),
      run: async ({ x, y }, lr) => {
        optimizer.lr = lr;
        c.setLr(lr);
        c.load(x, y);
        c.run();
        x.dispose();
        y.dispose();
      },
      get lossSum() { return c.lossSum; },
      get correct() { return c.correct; },
      end: () => {},
      dispose: () => c.dispose(),
    };
  }
  let sums: { lossSum: Tensor; correct: Tensor } | null = null;
  const options = { amp: config.amp, labelSmoothing: config.labelSmoothing, scaler, ema, ddp, disposeBatch: true };
  return {
    begin: (from) => {
      sums = {
        lossSum: keep(zeros([], { device: config.device, dtype: 'float64' }).add_(from.lossSum)),
        correct: keep(zeros([], { device: config.device, dtype: 'int64' }).add_(from.correct)),
      };
    },
    run: async (b, lr) => {
      optimizer.lr = lr;
      (await step(model, optimizer, b, { ...options, sums: sums! })).dispose();
    },
    get lossSum() { return sums!.lossSum; },
    get correct() { return sums!.correct; },
    end: () => {
      sums?.lossSum.dispose();
      sums?.correct.dispose();
      sums = null;
    },
    dispose: () => {},
  };
}
