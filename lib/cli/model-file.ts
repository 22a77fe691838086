// The CLI's model from a checkpoint: models.loadModel, with its errors said in terms of flags.
import { CheckpointError } from '../errors.js';
import { loadMetadata } from '../io/safetensors.js';
import { loadModel, readModelInfo, type ModelInfo } from '../models/load-model.js';
import { isModelName, MODEL_NAMES } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { UsageError } from './flags.js';

export function loadModelFile(file: string, { model, stem, device = 'cpu' }: { model?: string; stem?: string; device?: string }): { model: Module; info: ModelInfo } {
  if (model !== undefined && !isModelName(model)) throw new UsageError(`Expected one of ${MODEL_NAMES.join(', ')} for --model but received '${model}'`);
  if (stem !== undefined && stem !== 'cifar' && stem !== 'imagenet') throw new UsageError(`Expected 'cifar' or 'imagenet' for --stem but received '${stem}'`);
  try {
    if (model === undefined && loadMetadata(file).model === undefined) throw new UsageError(`${file} does not say which model it holds: pass --model`);
    const named = { ...(model !== undefined && { model }), ...(stem !== undefined && { stem }) } as { model?: never; stem?: 'cifar' | 'imagenet' };
    const info = readModelInfo(file, named);
    return { model: loadModel(file, { ...named, device }), info };
  } catch (e) {
    // a file that is not a model of ours is a wrong argument, said with the file's own reason
    if (e instanceof CheckpointError) throw new UsageError(e.message);
    throw e;
  }
}
