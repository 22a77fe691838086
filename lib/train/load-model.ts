// A trained model from a weights file the Trainer wrote: the architecture comes from the file's
// metadata (model, stem, numClasses) unless the options name it.
import { z } from 'zod';

import { checkDevice } from '../device.js';
import { CheckpointError, describe, TorchError } from '../errors.js';
import { load, loadMetadata } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { tidy } from '../scope.js';
import { MODELS, type ModelName } from './config.js';
import { buildModel } from './build-model.js';

const loadModelOptions = z.strictObject({
  model: z.enum(MODELS).describe(MODELS.join(', ')).optional(),
  stem: z.enum(['cifar', 'imagenet']).describe("'cifar' or 'imagenet'").optional(),
  device: z.string().describe("'cpu', 'cuda' or 'cuda:N'").optional(),
  channelsLast: z.boolean().describe('a boolean').optional(),
});
export type LoadModelOptions = z.input<typeof loadModelOptions>;

/**
 * Builds the model a checkpoint holds and loads its weights: `last.safetensors` or
 * `best.safetensors` from a training run, or any state_dict saved with `{ model }` metadata.
 * The model is in training mode, as built; `predict` and `forwardAsync` switch to eval mode
 * themselves. A file that names no model, or whose weights do not fit, is a CheckpointError.
 *
 * @example
 * const model = torch.train.loadModel('runs/cifar/best.safetensors', { device: 'cpu' });
 * const probs = await model.predict(images); // [N, 10]
 */
export function loadModel(file: string, options?: LoadModelOptions): Module {
  if (typeof file !== 'string' || file === '') throw new TypeError(`Expected a file path for file but received ${describe(file)}`);
  const o = parseOptions(loadModelOptions, options, 'loadModel()');
  const device = checkDevice(o.device ?? 'cpu');
  const meta = loadMetadata(file);
  const name = o.model ?? meta.model;
  if (name === undefined) throw new CheckpointError(`${file} does not say which model it holds (no 'model' in its metadata): pass the model option`, file);
  if (!(MODELS as readonly string[]).includes(name)) throw new CheckpointError(`${file} holds '${name}', which is not one of ${MODELS.join(', ')}`, file);
  const stem = o.stem ?? meta.stem ?? 'cifar';
  if (stem !== 'cifar' && stem !== 'imagenet') throw new CheckpointError(`${file} names the stem '${stem}'; expected 'cifar' or 'imagenet'`, file);
  const numClasses = Number(meta.numClasses ?? 10);
  if (!Number.isSafeInteger(numClasses) || numClasses < 1) throw new CheckpointError(`${file} names ${meta.numClasses} classes; expected a positive integer`, file);
  const net = buildModel({ model: name as ModelName, stem }, numClasses);
  try {
    tidy(() => net.loadStateDict(load(file)));
  } catch (e) {
    net.dispose();
    if (e instanceof TorchError && !(e instanceof CheckpointError)) throw new CheckpointError(`${file} does not fit ${name} (${stem} stem): ${e.message}`, file);
    throw e;
  }
  return net.to({ device, ...(o.channelsLast && { memoryFormat: 'channelsLast' as const }) });
}
