// torch.optim: optimizers, learning-rate schedules, weight averaging and loss scaling.
export { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerMeta, type OptimizerStateDict,
  type StateSpec } from './optimizer.js';
export { SGD, type SGDOptions, type SGDHyperParams } from './sgd.js';
export { AdamW, type AdamWOptions, type AdamWHyperParams } from './adamw.js';
export { Adam, type AdamOptions, type AdamHyperParams } from './adam.js';
export { RMSprop, type RMSpropOptions, type RMSpropHyperParams } from './rmsprop.js';
export * as lrScheduler from './lr-scheduler.js';
export { oneCycle, cosineWithWarmup, multiStep, type Schedule, type OneCycleOptions, type CosineWithWarmupOptions,
  type MultiStepOptions } from './schedules.js';
export { EMA, emaUpdate, type EMAOptions, type EMAMeta } from './ema.js';
export { GradScaler, type GradScalerOptions, type GradScalerState, type Steppable } from './grad-scaler.js';
