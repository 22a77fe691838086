// torch.nn: modules, layers, initialisers and the functional operations.
export { Module, type LoadResult, type ModuleTarget } from './module.js';
export { Sequential, ModuleList, ModuleDict, chain } from './container.js';
export { Conv2d, Linear, BatchNorm2d, ReLU, MaxPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Identity,
  type Conv2dOptions, type LinearOptions, type BatchNorm2dOptions } from './layers.js';
export { LayerNorm, GroupNorm, type LayerNormOptions, type GroupNormOptions } from './norm.js';
export { GELU, SiLU } from './activation.js';
export { AvgPool2d, type AvgPool2dOptions } from './pooling.js';
export { Upsample, type UpsampleOptions } from './upsample.js';
export { CrossEntropyLoss, MSELoss, BCEWithLogitsLoss, type CrossEntropyLossOptions, type BCEWithLogitsLossOptions } from './loss.js';
export * as init from './init.js';
export * as utils from './utils.js';
export * as functional from '../functional.js';
