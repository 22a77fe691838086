// What fit() returns: the run's figures, summed from its epochs.
import type { TrainConfig } from './config.js';
import type { EpochLine } from './state.js';

export type EpochResult = EpochLine;

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

export function fitResult(config: TrainConfig, history: EpochResult[], best: number | null, interrupted: boolean): FitResult {
  const trainSeconds = history.reduce((s, m) => s + m.seconds, 0);
  const images = history.reduce((s, m) => s + m.imagesPerSecond * m.seconds, 0);
  return {
    testAccuracy: history.at(-1)?.testAccuracy ?? null, bestTestAccuracy: best, epochs: history.length, trainSeconds,
    imagesPerSecond: trainSeconds > 0 ? images / trainSeconds : 0, device: config.device, model: config.model, history, interrupted, out: config.out,
  };
}
