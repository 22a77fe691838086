// The learning rate of every step, a pure function of the config and the run's length.
import { cosineWithWarmup, multiStep, oneCycle, type Schedule } from '../optim/index.js';
import type { TrainConfig } from './config.js';

/** The run's schedule over `steps` steps. @example train.schedule(config, 780)(0) // the first step's lr */
export function schedule(c: Pick<TrainConfig, 'schedule' | 'lr' | 'warmup'>, steps: number): Schedule {
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
