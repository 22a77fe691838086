// One optimisation step: forward (under autocast when asked), loss, backward, the optimizer's
// update through the grad scaler, the EMA. No host reads: the loss stays on the device.
import { autocast } from '../autocast.js';
import { noGrad } from '../autograd.js';
import type { DistributedDataParallel } from '../distributed/ddp.js';
import { crossEntropy } from '../functional.js';
import type { Module } from '../nn/module.js';
import type { AdamW, EMA, GradScaler, SGD } from '../optim/index.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

export interface StepOptions {
  /** Autocast dtype of the forward pass (default 'none'). */
  amp?: 'none' | 'bf16' | 'fp16';
  labelSmoothing?: number;
  /** fp16's loss scaler; without one the loss is not scaled. */
  scaler?: GradScaler;
  ema?: EMA | null;
  /** Under `torchnode launch`: gradients averaged over ranks before the update. */
  ddp?: DistributedDataParallel | null;
  /** Device accumulators the batch's summed loss (float64) and number right are added to. */
  sums?: { lossSum: Tensor; correct: Tensor };
  /** Dispose the batch's tensors once used (what the training loop wants). */
  disposeBatch?: boolean;
}

/**
 * Trains on one batch and returns its mean loss, detached, on the device (dispose it).
 * @example
 * const loss = await train.step(model, optimizer, { x, y }, { labelSmoothing: 0.1 });
 * console.log(loss.item()); loss.dispose();
 */
export async function step(model: Module, optimizer: SGD | AdamW, batch: { x: Tensor; y: Tensor }, options: StepOptions = {}): Promise<Tensor> {
  const { amp = 'none', labelSmoothing = 0, scaler, ema, ddp, sums, disposeBatch = false } = options;
  const { x, y } = batch;
  const loss = tidy(() => {
    const forward = () => {
      const logits = model.forward(x);
      return { logits, loss: crossEntropy(logits, y, { labelSmoothing }) };
    };
    const out = amp === 'none' ? forward()
      : autocast({ deviceType: x.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: amp === 'bf16' ? 'bfloat16' : 'float16' }, forward);
    (scaler ? scaler.scale(out.loss) : out.loss).backward();
    return noGrad(() => {
      if (sums) {
        sums.lossSum.add_(out.loss.detach().double().mul(y.shape[0]!));
        sums.correct.add_(out.logits.argmax(1).eq(y).sum());
      }
      return out.loss.detach();
    });
  });
  if (disposeBatch) {
    x.dispose();
    y.dispose();
  }
  // the buckets started during backward; wait for the averages off the JS thread
  if (ddp) await ddp.syncGradients();
  tidy(() => {
    if (scaler) {
      scaler.step(optimizer);
      scaler.update();
    } else optimizer.step();
    optimizer.zeroGrad();
    ema?.update();
  });
  return loss;
}
