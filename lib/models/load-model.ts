// A trained model from a weights file: the architecture, the input size, the class names and the
// normalisation come from the file's metadata (what the Trainer writes), unless the options name them.
import { z } from 'zod';

import { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD } from '../data/cifar10.js';
import { checkDevice } from '../device.js';
import { CheckpointError, describe, TorchError } from '../errors.js';
import { load, loadMetadata } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { tidy } from '../scope.js';
import { defaultStem, getModel, isModelName, MODEL_NAMES, type ModelName } from './registry.js';

/** What a weights file says about its model, with the defaults of a CIFAR-10 run filled in. */
export interface ModelInfo {
  model: ModelName;
  stem: 'cifar' | 'imagenet';
  numClasses: number;
  /** The [height, width] the model was trained on: images are resized to it. */
  inputSize: [number, number];
  /** Class names, index = label. */
  classes: string[];
  /** The per-channel normalisation of its training data. */
  mean: number[];
  std: number[];
}

/**
 * The metadata a weights file carries for `readModelInfo` and `loadModel` (safetensors metadata
 * holds strings only).
 *
 * @example
 * torch.save(net.stateDict(), 'net.safetensors', { metadata: models.modelMetadata({ model: 'resnet20', stem: 'cifar', numClasses: 10 }) });
 */
export function modelMetadata(info: Pick<ModelInfo, 'model' | 'stem' | 'numClasses'> & Partial<ModelInfo>): Record<string, string> {
  return {
    model: info.model, stem: info.stem, numClasses: String(info.numClasses),
    ...(info.inputSize && { inputSize: info.inputSize.join('x') }),
    ...(info.classes && { classes: JSON.stringify(info.classes) }),
    ...(info.mean && { mean: JSON.stringify(info.mean) }),
    ...(info.std && { std: JSON.stringify(info.std) }),
  };
}

function jsonField<T>(file: string, key: string, text: string, check: (v: unknown) => v is T): T {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!check(v)) throw new CheckpointError(`${file} has '${key}' metadata that is not valid: ${text.slice(0, 80)}`, file);
  return v;
}
const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const infoOptions = z.strictObject({
  model: z.enum(MODEL_NAMES).describe(MODEL_NAMES.join(', ')).optional(),
  stem: z.enum(['cifar', 'imagenet']).describe("'cifar' or 'imagenet'").optional(),
});
export type ModelInfoOptions = z.input<typeof infoOptions>;

/**
 * What `file` says about its model (see `ModelInfo`); `model` and `stem` override the file. A file
 * that names no model, or names one torchnode does not build, is a CheckpointError.
 *
 * @example
 * const { model, inputSize, classes } = models.readModelInfo('runs/cifar/best.safetensors');
 */
export function readModelInfo(file: string, options?: ModelInfoOptions): ModelInfo {
  if (typeof file !== 'string' || file === '') throw new TypeError(`Expected a file path for file but received ${describe(file)}`);
  const o = parseOptions(infoOptions, options, 'readModelInfo()');
  const meta = loadMetadata(file);
  const name = o.model ?? meta.model;
  if (name === undefined) throw new CheckpointError(`${file} does not say which model it holds (no 'model' in its metadata): pass the model option`, file);
  if (!isModelName(name)) throw new CheckpointError(`${file} holds '${name}', which is not one of ${MODEL_NAMES.join(', ')}`, file);
  const stem = o.stem ?? meta.stem ?? defaultStem(name);
  if (stem !== 'cifar' && stem !== 'imagenet') throw new CheckpointError(`${file} names the stem '${stem}'; expected 'cifar' or 'imagenet'`, file);
  const numClasses = Number(meta.numClasses ?? 10);
  if (!Number.isSafeInteger(numClasses) || numClasses < 1) throw new CheckpointError(`${file} names ${meta.numClasses} classes; expected a positive integer`, file);
  let inputSize: [number, number] = stem === 'cifar' ? [32, 32] : [224, 224];
  if (meta.inputSize !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(meta.inputSize);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new CheckpointError(`${file} has the input size '${meta.inputSize}'; expected HEIGHTxWIDTH`, file);
    inputSize = [Number(m[1]), Number(m[2])];
  }
  const classes = meta.classes !== undefined ? jsonField(file, 'classes', meta.classes, isStrings)
    : numClasses === 10 ? [...CIFAR10_CLASSES] : Array.from({ length: numClasses }, (_, i) => String(i));
  if (classes.length !== numClasses) throw new CheckpointError(`${file} names ${classes.length} classes for a ${numClasses}-class model`, file);
  const mean = meta.mean !== undefined ? jsonField(file, 'mean', meta.mean, isNumbers) : [...CIFAR10_MEAN];
  const std = meta.std !== undefined ? jsonField(file, 'std', meta.std, isNumbers) : [...CIFAR10_STD];
  if (mean.length !== 3 || std.length !== 3) throw new CheckpointError(`${file} gives ${mean.length} means and ${std.length} standard deviations; expected 3 of each`, file);
  return { model: name, stem, numClasses, inputSize, classes, mean, std };
}

const loadModelOptions = infoOptions.extend({
  device: z.string().describe("'cpu', 'cuda' or 'cuda:N'").optional(),
  channelsLast: z.boolean().describe('a boolean').optional(),
});
export type LoadModelOptions = z.input<typeof loadModelOptions>;

/**
 * Builds the model a weights file holds and loads its weights: `last.safetensors` or
 * `best.safetensors` from a training run, or any state_dict saved with `modelMetadata`. The model
 * is in training mode, as built; `predict` and `forwardAsync` switch to eval mode themselves. A
 * file that names no model, or whose weights do not fit, is a CheckpointError.
 *
 * @example
 * const model = models.loadModel('runs/cifar/best.safetensors', { device: 'cpu' });
 * const probs = await model.predict(images); // [N, 10]
 */
export function loadModel(file: string, options?: LoadModelOptions): Module {
  const o = parseOptions(loadModelOptions, options, 'loadModel()');
  const device = checkDevice(o.device ?? 'cpu');
  const info = readModelInfo(file, { model: o.model, stem: o.stem });
  const net = getModel(info.model, { numClasses: info.numClasses, stem: info.stem });
  try {
    tidy(() => net.loadStateDict(load(file)));
  } catch (e) {
    net.dispose();
    if (e instanceof TorchError && !(e instanceof CheckpointError)) throw new CheckpointError(`${file} does not fit ${info.model} (${info.stem} stem): ${e.message}`, file);
    throw e;
  }
  return net.to({ device, ...(o.channelsLast && { memoryFormat: 'channelsLast' as const }) });
}
