// torchnode.train: the CIFAR-10 training loop and its pieces.
export { Trainer, evaluate, type TrainerOptions, type FitOptions, type FitResult, type EpochResult } from './trainer.js';
export { buildModel } from './build-model.js';
export { loadModel, type LoadModelOptions } from './load-model.js';
export { cudaGraphsWhyNot, resolveConfig, trainOptions, MODELS, type TrainOptions, type TrainConfig, type ModelName } from './config.js';
export { Progress, type StepInfo } from './progress.js';
export { curvesSvg, type EpochMetrics } from './curves.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, type CheckpointState } from './checkpoint.js';
export { CapturableStep, type CapturableStepOptions } from './capturable-step.js';
