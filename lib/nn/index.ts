// torch.nn: modules, layers, initialisers and the functional operations.
export { Module, type LoadResult, type ModuleTarget } from './module.js';
export { Sequential, chain } from './container.js';
export { Conv2d, Linear, BatchNorm2d, ReLU, MaxPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Identity,
  type Conv2dOptions, type LinearOptions, type BatchNorm2dOptions } from './layers.js';
export * as init from './init.js';
export * as functional from '../functional.js';
