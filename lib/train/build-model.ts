// A model by its training-config name: models.getModel owns the names (lib/models/registry.ts).
import { getModel, isModelName, MODEL_NAMES } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import type { TrainConfig } from './config.js';

/**
 * Builds a freshly initialised model by its training-config name.
 *
 * @example
 * const net = torch.train.buildModel({ model: 'resnet20', stem: 'cifar' }); // 10 classes
 */
export function buildModel(config: Pick<TrainConfig, 'model' | 'stem'>, numClasses = 10): Module {
  if (!isModelName(config.model)) throw new TypeError(`Expected one of ${MODEL_NAMES.join(', ')} for model but received '${String(config.model)}'`);
  // the CIFAR ResNets (resnet20...) always have the CIFAR stem
  const cifarOnly = !['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'].includes(config.model);
  return getModel(config.model, { numClasses, stem: cifarOnly ? 'cifar' : config.stem });
}
