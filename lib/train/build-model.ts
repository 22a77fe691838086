// A model by name: the torchvision ResNets (either stem) and the CIFAR ResNets.
import * as models from '../models/index.js';
import type { Module } from '../nn/module.js';
import type { TrainConfig } from './config.js';

/**
 * Builds a freshly initialised model by its training-config name.
 *
 * @example
 * const net = torch.train.buildModel({ model: 'resnet20', stem: 'cifar' }); // 10 classes
 */
export function buildModel(config: Pick<TrainConfig, 'model' | 'stem'>, numClasses = 10): Module {
  const builder = models[config.model];
  // the CIFAR ResNets (resnet20...) always have the CIFAR stem
  return config.model === 'resnet18' || config.model === 'resnet34' || config.model === 'resnet50'
    ? builder({ numClasses, stem: config.stem })
    : (builder as typeof models.resnet20)({ numClasses });
}
