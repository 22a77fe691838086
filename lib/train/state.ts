// What a checkpoint's state file holds besides the weights: where to resume, the run's config,
// the optimizer's and EMA's metadata, the history so far. Validated on load, never cast.
import { z } from 'zod';

import { CheckpointError, describe } from '../errors.js';
import type { TrainConfig } from './config.js';

const count = z.number().int().min(0);
const finite = z.number();

/** One epoch's figures, as in metrics.jsonl. */
export const epochResultSchema = z.object({
  epoch: z.number().int().positive(),
  trainLoss: finite,
  trainAccuracy: finite,
  testLoss: finite.nullable(),
  testAccuracy: finite.nullable(),
  lr: finite,
  seconds: finite,
  imagesPerSecond: finite,
});

/** One per-step line of metrics.jsonl (written every logEvery steps when stepMetrics is on). */
export const stepLineSchema = z.object({
  step: count,
  epoch: count,
  batch: count,
  loss: finite,
  lr: finite,
  imagesPerSecond: finite,
});

/** The running sums of an epoch stopped mid-way. */
export const partialSchema = z.object({ lossSum: finite, correct: finite, seen: count, seconds: finite });

export const trainStateSchema = z.object({
  /** The next batch to run: epoch (0-based), batch within it, steps taken so far. */
  epoch: count,
  batch: count,
  step: count,
  config: z.looseObject({
    model: z.string(),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    seed: count,
    lr: z.number().positive(),
    logEvery: z.number().int().positive(),
  }),
  optimizer: z.unknown(),
  ema: z.unknown().nullable(),
  history: z.array(epochResultSchema),
  best: finite.nullable(),
  partial: partialSchema,
  /** Absent in checkpoints written before per-step lines existed. */
  steps: z.array(stepLineSchema).default([]),
});

export type EpochLine = z.output<typeof epochResultSchema>;
export type StepLine = z.output<typeof stepLineSchema>;
export type EpochSums = z.output<typeof partialSchema>;
export type TrainState = Omit<z.output<typeof trainStateSchema>, 'config'> & { config: TrainConfig };

/**
 * Checks a checkpoint's state against the schema; a missing or wrong field is a CheckpointError
 * that names it.
 * @example
 * const state = train.parseTrainState(loadCheckpoint('runs/a', 'last').state, 'runs/a/last.state.safetensors');
 */
export function parseTrainState(value: unknown, file: string): TrainState {
  const r = trainStateSchema.safeParse(value, { reportInput: true });
  if (r.success) return r.data as TrainState;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(the whole state)';
  const got = 'input' in issue ? describe(issue.input) : 'something else';
  throw new CheckpointError(`${file} holds a training state whose field ${field} is wrong: ${issue.message} (received ${got})`, file);
}
