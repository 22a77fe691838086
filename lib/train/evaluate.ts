// Loss and accuracy of a model on a data set: eval mode, no grad, optional flip TTA, one sync.
import { autocast } from '../autocast.js';
import { noGrad } from '../autograd.js';
import { zeros } from '../creation.js';
import type { ImagePipeline } from '../data/pipeline.js';
import { crossEntropy } from '../functional.js';
import type { Module } from '../nn/module.js';
import { keep, tidy } from '../scope.js';
import type { TrainConfig } from './config.js';
import { sumAcross, type DistributedRun } from './distributed.js';

type EvalConfig = Pick<TrainConfig, 'amp' | 'tta' | 'device'>;
export interface EvalSums { lossSum: number; correct: number; seen: number }

/**
 * Loss and top-1 accuracy on a data set: eval mode, no grad, optional flip TTA; one sync at the end.
 * @example
 * const { accuracy } = train.evaluate(model, testPipeline, { amp: 'none', tta: true, device: 'cpu' });
 */
export function evaluate(model: Module, data: ImagePipeline, config: EvalConfig): { loss: number; accuracy: number } {
  const s = evaluateSums(model, data, config);
  return { loss: s.lossSum / s.seen, accuracy: s.correct / s.seen };
}

/** Each rank evaluates its share; the sums are added up across ranks. */
export async function evaluateAcross(model: Module, data: ImagePipeline, config: EvalConfig,
  dist: DistributedRun | null): Promise<{ loss: number; accuracy: number }> {
  const s = evaluateSums(model, data, config);
  const [lossSum, correct, seen] = dist ? await sumAcross(dist, [s.lossSum, s.correct, s.seen]) : [s.lossSum, s.correct, s.seen];
  return { loss: lossSum! / seen!, accuracy: correct! / seen! };
}

/** The summed loss, the number right and the number seen, read from the device once. */
export function evaluateSums(model: Module, data: ImagePipeline, config: EvalConfig): EvalSums {
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
