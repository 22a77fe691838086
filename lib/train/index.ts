// torchnode.train: the Trainer and the parts it is made of (step, evaluate, state, checkpoints, logs).
export { Trainer, type TrainerInput, type TrainerOptions, type FitOptions, type FitResult, type EpochResult } from './trainer.js';
export { evaluate, evaluateAcross } from './evaluate.js';
export { step, type StepOptions } from './step.js';
export { fit, type FitRun } from './fit.js';
export { schedule } from './schedule.js';
export { parseTrainState, trainStateSchema, type TrainState, type StepLine } from './state.js';
export { resumedConfig, CHANGEABLE_ON_RESUME, type ResumeChange } from './resume.js';
export { TensorBoardWriter } from './tensorboard.js';
export { buildModel } from './build-model.js';
export { loadModel, type LoadModelOptions } from './load-model.js';
export { cudaGraphsWhyNot, resolveConfig, trainOptions, MODELS, type TrainOptions, type TrainConfig, type ModelName } from './config.js';
export { Progress, type StepInfo } from './progress.js';
export { curvesSvg, type EpochMetrics } from './curves.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointState, hasCheckpoint, type CheckpointState } from './checkpoint.js';
export { CapturableStep, type CapturableStepOptions } from './capturable-step.js';
