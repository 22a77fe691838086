// Training checkpoints: `<name>.safetensors` holds the model's state_dict alone (it loads in
// PyTorch as it is); `<name>.state.safetensors` holds what resuming needs besides. Each file is
// written atomically and both carry one id, so a pair from two different moments is refused.
import { existsSync } from 'node:fs';
import path from 'node:path';

import { CheckpointError } from '../errors.js';
import { load, loadMetadata, save } from '../io/safetensors.js';
import type { Tensor } from '../tensor.js';

export interface CheckpointState {
  /** What to resume at: the next batch to run. */
  epoch: number;
  batch: number;
  step: number;
  [key: string]: unknown;
}

const ID = 'torchnode.checkpoint';
const STATE = 'torchnode.state';

/**
 * Writes `<dir>/<name>.state.safetensors` then `<dir>/<name>.safetensors`.
 * @example
 * train.saveCheckpoint('runs/a', 'last', model.stateDict(), new Map(), { epoch: 1, batch: 0, step: 390 }, { model: 'resnet20' });
 */
export function saveCheckpoint(dir: string, name: string, weights: Map<string, Tensor>, stateTensors: Map<string, Tensor>,
  state: CheckpointState, weightsMetadata: Record<string, string> = {}): void {
  const id = `${state.epoch}.${state.batch}.${state.step}.${process.hrtime.bigint()}`;
  save(stateTensors, path.join(dir, `${name}.state.safetensors`), { metadata: { [ID]: id, [STATE]: JSON.stringify(state) } });
  save(weights, path.join(dir, `${name}.safetensors`), { metadata: { ...weightsMetadata, [ID]: id } });
}

/** Whether both files of a checkpoint pair exist. @example if (train.hasCheckpoint('runs/a', 'last')) resume(); */
export function hasCheckpoint(dir: string, name: string): boolean {
  return existsSync(path.join(dir, `${name}.safetensors`)) && existsSync(path.join(dir, `${name}.state.safetensors`));
}

/**
 * Reads a pair written by saveCheckpoint; tensors are on `device`.
 * @example
 * const { weights, state } = train.loadCheckpoint('runs/a', 'last', 'cpu');
 * model.loadStateDict(weights); // then dispose the loaded tensors
 */
export function loadCheckpoint(dir: string, name: string, device?: string):
  { weights: Map<string, Tensor>; stateTensors: Map<string, Tensor>; state: CheckpointState } {
  const weightsFile = path.join(dir, `${name}.safetensors`);
  const stateFile = path.join(dir, `${name}.state.safetensors`);
  const meta = loadMetadata(stateFile);
  const weightsId = loadMetadata(weightsFile)[ID];
  if (meta[ID] === undefined || meta[STATE] === undefined) throw new CheckpointError(`${stateFile} is not a torchnode training state`, stateFile);
  if (weightsId !== meta[ID]) {
    throw new CheckpointError(`${weightsFile} and ${stateFile} come from different moments (a write was interrupted); ` +
      'resume from best, or start again', weightsFile);
  }
  const state = JSON.parse(meta[STATE]) as CheckpointState;
  const opts = device ? { device: device as 'cpu' } : undefined;
  const weights = load(weightsFile, opts);
  const stateTensors = load(stateFile, opts);
  return { weights, stateTensors, state };
}
