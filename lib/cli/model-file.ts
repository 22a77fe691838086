// A trained model from a checkpoint: its architecture comes from the file's metadata unless given.
import { checkDevice } from '../device.js';
import { CheckpointError } from '../errors.js';
import { load, loadMetadata } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { tidy } from '../scope.js';
import { MODELS, type ModelName } from '../train/config.js';
import { buildModel } from '../train/build-model.js';
import { UsageError } from './flags.js';

export function loadModelFile(file: string, { model, stem, device = 'cpu' }: { model?: string; stem?: string; device?: string }): { model: Module; name: ModelName } {
  const meta = loadMetadata(file);
  const name = (model ?? meta.model) as ModelName | undefined;
  if (name === undefined) throw new UsageError(`${file} does not say which model it holds: pass --model`);
  if (!(MODELS as readonly string[]).includes(name)) throw new UsageError(`Expected one of ${MODELS.join(', ')} for --model but received '${name}'`);
  const s = stem ?? meta.stem ?? 'cifar';
  if (s !== 'cifar' && s !== 'imagenet') throw new UsageError(`Expected 'cifar' or 'imagenet' for --stem but received '${s}'`);
  const net = buildModel({ model: name, stem: s }, Number(meta.numClasses ?? 10));
  try {
    tidy(() => net.loadStateDict(load(file)));
  } catch (e) {
    net.dispose();
    if (e instanceof CheckpointError) throw e;
    throw new UsageError(`${file} does not fit ${name} (${s} stem): ${(e as Error).message}`);
  }
  return { model: net.to(checkDevice(device)), name };
}
