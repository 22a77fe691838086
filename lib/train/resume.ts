// Resuming with options: the ones a run can change midway apply (and are reported), the ones
// that define the run are refused with both values, rather than silently ignored.
import path from 'node:path';

import { TorchError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { hasCheckpoint, loadCheckpoint } from './checkpoint.js';
import type { TrainConfig, TrainOptions } from './config.js';
import { sumAcross, type DistributedRun } from './distributed.js';
import type { Progress } from './progress.js';
import type { RunModel } from './setup.js';
import { parseTrainState, type TrainState } from './state.js';

/** Options a resumed run may change: its length, logging, evaluation and where data is read from. */
export const CHANGEABLE_ON_RESUME = ['epochs', 'lr', 'logEvery', 'stepMetrics', 'tensorboard', 'tta', 'limitTest', 'dataDir', 'dataSource'] as const;
// taken from this run as they are, as before: where it writes and what it runs on
const THIS_RUN = new Set(['out', 'device', 'resume']);

export interface ResumeChange {
  option: string;
  from: unknown;
  to: unknown;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const shown = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));

/**
 * The config of a resumed run: the saved one, with this run's `out` and `device`, and the given
 * options that may change applied. A given option that may not change is a TypeError naming it
 * and both values.
 * @example
 * const { config, changes } = train.resumedConfig(saved, { epochs: 50, resume: true }, resolveConfig({ epochs: 50 }));
 */
export function resumedConfig(saved: TrainConfig, given: TrainOptions, resolved: TrainConfig): { config: TrainConfig; changes: ResumeChange[] } {
  // options newer than the checkpoint take this run's values
  const config: TrainConfig = { ...resolved, ...saved, out: resolved.out, device: resolved.device, resume: true };
  const changes: ResumeChange[] = [];
  for (const key of Object.keys(given) as (keyof TrainConfig)[]) {
    const before = config[key];
    if (THIS_RUN.has(key) || same(resolved[key], before)) continue;
    if (!(CHANGEABLE_ON_RESUME as readonly string[]).includes(key)) {
      throw new TypeError(`Cannot change ${key} when resuming ${resolved.out}: the run was started with ${shown(before)} and this one asks for ` +
        `${shown(resolved[key])}; leave it out to resume, or start a new run in another out directory`);
    }
    changes.push({ option: key, from: before, to: resolved[key] });
    (config as Record<string, unknown>)[key] = resolved[key];
  }
  return { config, changes };
}

/**
 * The checkpoint a resumed run continues from (null for a fresh run, said when --resume found
 * nothing). Under launch every rank must see it, or none.
 */
export async function loadResumePoint(config: TrainConfig, dist: DistributedRun | null, progress: Progress): Promise<Loaded | null> {
  const found = config.resume && hasCheckpoint(config.out, 'last');
  if (dist && config.resume) {
    const seen = await sumAcross(dist, [found ? 1 : 0]);
    if (seen[0]! !== 0 && seen[0]! !== dist.worldSize) {
      throw new TorchError(`rank ${dist.rank} ${found ? 'sees' : 'does not see'} ${path.join(config.out, 'last.safetensors')} but other ranks ${found ? 'do not' : 'do'}: ` +
        'resuming a distributed run needs --out on a file system every node shares');
    }
  }
  if (config.resume && !found) progress.line(`torchnode: nothing to resume in ${config.out}; starting afresh`);
  if (!found) return null;
  const loaded = loadCheckpoint(config.out, 'last', config.device);
  try {
    return { ...loaded, state: parseTrainState(loaded.state, loaded.stateFile) };
  } catch (e) {
    for (const t of [...loaded.weights.values(), ...loaded.stateTensors.values()]) t.dispose();
    throw e;
  }
}

type Loaded = { weights: Map<string, Tensor>; stateTensors: Map<string, Tensor>; state: TrainState };

/** Loads the checkpoint into the model, optimizer and EMA; returns where the loop continues. */
export function restore(loaded: Loaded, parts: RunModel, lead: boolean, config: TrainConfig, changes: ResumeChange[], progress: Progress): TrainState {
  const s = loaded.state;
  parts.model.loadStateDict(loaded.weights);
  parts.optimizer.loadStateDict({ meta: s.optimizer as never, tensors: withoutPrefix(loaded.stateTensors, 'optimizer.') });
  if (parts.ema && s.ema) parts.ema.loadStateDict({ meta: s.ema as never, tensors: withoutPrefix(loaded.stateTensors, 'ema.') });
  for (const t of [...loaded.weights.values(), ...loaded.stateTensors.values()]) t.dispose();
  const said = changes.map((c) => `${c.option} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
  progress.line(`torchnode: resuming ${config.out} at epoch ${s.epoch + 1}, batch ${s.batch}${said.length ? `; changed: ${said.join(', ')}` : ''}`);
  // rank 0 alone carries a stopped epoch's sums on (they were summed over all ranks)
  return lead ? s : { ...s, partial: { lossSum: 0, correct: 0, seen: 0, seconds: s.partial.seconds } };
}

function withoutPrefix(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  return new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}
