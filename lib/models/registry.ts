// Every model builder by name: the layer that owns the models keeps their names.
import { z } from 'zod';

import { describe } from '../errors.js';
import type { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { resnet18, resnet34, resnet50, resnet101, resnet152, resnet20, resnet32, resnet44, resnet56, resnet110 } from './resnet.js';

/** The ImageNet-shaped ResNets (either stem) and the CIFAR ResNets (CIFAR stem only). */
export const IMAGENET_MODELS = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'] as const;
export const CIFAR_MODELS = ['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110'] as const;
export const MODEL_NAMES = [...IMAGENET_MODELS, ...CIFAR_MODELS] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

const BUILDERS = { resnet18, resnet34, resnet50, resnet101, resnet152, resnet20, resnet32, resnet44, resnet56, resnet110 };

const getModelOptions = z.strictObject({
  numClasses: z.number().int().positive().describe('positive integer').default(10),
  stem: z.enum(['cifar', 'imagenet']).describe("'cifar' or 'imagenet'").optional(),
  zeroInitResidual: z.boolean().describe('a boolean').default(false),
});
export type GetModelOptions = z.input<typeof getModelOptions>;

export const isModelName = (name: unknown): name is ModelName => (MODEL_NAMES as readonly unknown[]).includes(name);

/** The stem a model is built with when none is named: the CIFAR one for 32x32 inputs. */
export const defaultStem = (_name: ModelName): 'cifar' | 'imagenet' => 'cifar';

/**
 * A freshly initialised model by name (`MODEL_NAMES`), 10 classes unless told. The torchvision
 * ResNets take either stem (CIFAR's 3x3 by default); the CIFAR ResNets only their own.
 *
 * @example
 * const net = models.getModel('resnet50', { numClasses: 100, stem: 'imagenet' });
 */
export function getModel(name: ModelName, options?: GetModelOptions): Module {
  if (!isModelName(name)) throw new TypeError(`Expected one of ${MODEL_NAMES.join(', ')} for name but received ${describe(name)}`);
  const o = parseOptions(getModelOptions, options, 'getModel()');
  const stem = o.stem ?? defaultStem(name);
  if ((CIFAR_MODELS as readonly string[]).includes(name)) {
    if (stem !== 'cifar') throw new TypeError(`${name} is a CIFAR ResNet: it has only the 'cifar' stem, not '${stem}'`);
    return BUILDERS[name as (typeof CIFAR_MODELS)[number]]({ numClasses: o.numClasses, zeroInitResidual: o.zeroInitResidual });
  }
  return BUILDERS[name as (typeof IMAGENET_MODELS)[number]]({ numClasses: o.numClasses, stem, zeroInitResidual: o.zeroInitResidual });
}
