// Training checkpoints: `<name>.safetensors` holds the model's state_dict alone (it loads in
// PyTorch as it is); `<name>.state.safetensors` holds what resuming needs besides. Each file is
// written atomically and both carry one id, so a pair from two different moments is refused.
// While a new pair is written the old state waits in `<name>.state.prev.safetensors`, so a
// process killed between the two files still leaves the old pair whole.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

import { CheckpointError } from '../errors.js';
import { renameDurably } from '../io/atomic-file.js';
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

function files(dir: string, name: string): { weights: string; state: string; previous: string } {
  return {
    weights: path.join(dir, `${name}.safetensors`),
    state: path.join(dir, `${name}.state.safetensors`),
    previous: path.join(dir, `${name}.state.prev.safetensors`),
  };
}

/** The pair id of a checkpoint file, or undefined for a file without one (or unreadable). */
function idOf(file: string): string | undefined {
  try {
    return loadMetadata(file)[ID];
  } catch {
    return undefined;
  }
}

/**
 * Writes `<dir>/<name>.state.safetensors` then `<dir>/<name>.safetensors`, each atomically. Killed
 * at any instant, it leaves either the new pair or the old one loadable (see {@link loadCheckpoint}).
 * @example
 * train.saveCheckpoint('runs/a', 'last', model.stateDict(), new Map(), { epoch: 1, batch: 0, step: 390 }, { model: 'resnet20' });
 */
export function saveCheckpoint(dir: string, name: string, weights: Map<string, Tensor>, stateTensors: Map<string, Tensor>,
  state: CheckpointState, weightsMetadata: Record<string, string> = {}): void {
  const f = files(dir, name);
  const id = `${state.epoch}.${state.batch}.${state.step}.${process.hrtime.bigint()}`;
  // the state that matches the weights on disk is kept until new weights replace them
  const current = idOf(f.weights);
  if (current !== undefined && idOf(f.state) === current) renameDurably(f.state, f.previous);
  save(stateTensors, f.state, { metadata: { [ID]: id, [STATE]: JSON.stringify(state) } });
  save(weights, f.weights, { metadata: { ...weightsMetadata, [ID]: id } });
  rmSync(f.previous, { force: true });
}

/** Whether a checkpoint pair is on disk. @example if (train.hasCheckpoint('runs/a', 'last')) resume(); */
export function hasCheckpoint(dir: string, name: string): boolean {
  const f = files(dir, name);
  return existsSync(f.weights) && (existsSync(f.state) || existsSync(f.previous));
}

/**
 * Reads a pair written by saveCheckpoint; tensors are on `device`. When a save stopped between
 * its two files, the state that matches the weights is read from `<name>.state.prev.safetensors`.
 * @example
 * const { weights, state } = train.loadCheckpoint('runs/a', 'last', 'cpu');
 * model.loadStateDict(weights); // then dispose the loaded tensors
 */
export function loadCheckpoint(dir: string, name: string, device?: string):
  { weights: Map<string, Tensor>; stateTensors: Map<string, Tensor>; state: CheckpointState; stateFile: string } {
  const { state, weightsFile, stateFile } = readCheckpointState(dir, name);
  const opts = device ? { device: device as 'cpu' } : undefined;
  const weights = load(weightsFile, opts);
  const stateTensors = load(stateFile, opts);
  return { weights, stateTensors, state, stateFile };
}

/**
 * The state of a checkpoint pair alone, read from the files' headers (no tensors loaded).
 * @example
 * const { state } = train.readCheckpointState('runs/a', 'last'); // state.epoch, state.config...
 */
export function readCheckpointState(dir: string, name: string): { state: CheckpointState; weightsFile: string; stateFile: string } {
  const f = files(dir, name);
  const weightsFile = f.weights;
  const weightsId = loadMetadata(weightsFile)[ID];
  // a save killed after the new state but before the new weights: the old state is in `previous`
  const stateFile = weightsId !== undefined && idOf(f.state) !== weightsId && idOf(f.previous) === weightsId ? f.previous : f.state;
  const meta = loadMetadata(stateFile);
  if (meta[ID] === undefined || meta[STATE] === undefined) throw new CheckpointError(`${stateFile} is not a torchnode training state`, stateFile);
  if (weightsId !== meta[ID]) {
    throw new CheckpointError(`${weightsFile} and ${stateFile} come from different moments (a write was interrupted); ` +
      'resume from best, or start again', weightsFile);
  }
  let state: CheckpointState;
  try {
    state = JSON.parse(meta[STATE]) as CheckpointState;
  } catch (e) {
    throw new CheckpointError(`${stateFile} holds a training state that is not JSON: ${(e as Error).message}`, stateFile);
  }
  return { state, weightsFile, stateFile };
}
