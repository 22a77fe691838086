// What a run writes under out/: metrics.jsonl (epoch lines, and step lines when asked), curves.svg,
// config.json and the checkpoints. Only the lead rank writes; a failed write names the file, the
// reason and the checkpoint still on disk.
import { appendFileSync } from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../io/atomic-file.js';
import { modelMetadata } from '../models/load-model.js';
import type { ModelName } from '../models/registry.js';
import type { Tensor } from '../tensor.js';
import { tidy } from '../scope.js';
import { saveCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { curvesSvg } from './curves.js';
import { reasonOf, writeError } from './output-dir.js';
import type { RunData, RunModel } from './setup.js';
import type { EpochLine, EpochSums, StepLine, TrainState } from './state.js';

/** Where a checkpoint stands, in words: `the end of epoch 2` or `epoch 3, batch 5`. */
export function position(at: { epoch: number; batch: number }): string {
  return at.batch === 0 ? `the end of epoch ${at.epoch}` : `epoch ${at.epoch + 1}, batch ${at.batch}`;
}

export function writeText(file: string, text: string): void {
  writeFileAtomic(file, (write) => write(Buffer.from(text)));
}

/** The lines of metrics.jsonl: each epoch's line after the step lines it closes. */
export function metricsLines(history: EpochLine[], steps: StepLine[]): string {
  const lines: string[] = [];
  let s = 0;
  for (const m of history) {
    for (; s < steps.length && steps[s]!.epoch <= m.epoch; s++) lines.push(JSON.stringify(steps[s]));
    lines.push(JSON.stringify(m));
  }
  for (; s < steps.length; s++) lines.push(JSON.stringify(steps[s]));
  return lines.map((l) => `${l}\n`).join('');
}

export interface CheckpointParts {
  weights: () => Map<string, Tensor>;
  /** The optimizer's and EMA's tensors (prefixed) and metadata. */
  extra: () => { tensors: Map<string, Tensor>; optimizer: unknown; ema: unknown };
  /** What the weights file says about its model (models.modelMetadata). */
  metadata: Record<string, string>;
}

/** What a checkpoint holds: the weights, the optimizer's and EMA's state, the model's metadata. */
export function partsToSave(config: TrainConfig, parts: RunModel, data: RunData, numClasses: number): CheckpointParts {
  const [, h, w] = data.inputShape;
  return {
    metadata: modelMetadata({ model: config.model as ModelName, stem: config.stem, numClasses, inputSize: [h!, w!],
      classes: [...data.classes], mean: [...data.mean], std: [...data.std] }),
    weights: () => parts.model.stateDict(),
    extra: () => {
      const opt = parts.optimizer.stateDict();
      const e = parts.ema?.stateDict();
      const tensors = new Map<string, Tensor>([...prefixed(opt.tensors, 'optimizer.'), ...(e ? prefixed(e.tensors, 'ema.') : [])]);
      return { tensors, optimizer: opt.meta, ema: e?.meta ?? null };
    },
  };
}

function prefixed<T>(tensors: Map<string, T> | Record<string, T>, prefix: string): [string, T][] {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  return entries.map(([k, v]) => [prefix + k, v]);
}

/** The line that ends an epoch on the console. */
export function epochLine(m: EpochLine, epochs: number): string {
  return `epoch ${m.epoch}/${epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(m.trainAccuracy * 100).toFixed(2)}%` +
    (m.testAccuracy === null ? '' : `, test loss ${m.testLoss!.toFixed(4)} acc ${(m.testAccuracy * 100).toFixed(2)}%`) +
    `, ${m.seconds.toFixed(1)} s, ${Math.round(m.imagesPerSecond)} img/s`;
}

export class RunOutput {
  /** Where the last checkpoint on disk stands, for the message of a write that fails. */
  saved: string | null;

  constructor(readonly config: TrainConfig, readonly lead: boolean, resumedAt: { epoch: number; batch: number } | null) {
    this.saved = resumedAt ? position(resumedAt) : null;
  }

  file(name: string): string {
    return path.join(this.config.out, name);
  }

  /** Runs `write` on the lead rank; a system error it throws names `what`, the reason and the checkpoint on disk. */
  write(what: string, write: () => void): void {
    if (!this.lead) return;
    try {
      write();
    } catch (e) {
      if (typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
      const kept = this.saved === null ? 'no checkpoint had been written yet'
        : `${this.file('last.safetensors')} still holds ${this.saved}, and a resumed run continues from there`;
      throw writeError(`cannot write ${what}: ${reasonOf(e)}; ${kept}`, e);
    }
  }

  /** out/config.json: the resolved config of this run, rewritten by every run (resumed ones too). */
  writeConfig(): void {
    const file = this.file('config.json');
    this.write(file, () => writeText(file, `${JSON.stringify(this.config, null, 2)}\n`));
  }

  /** metrics.jsonl rewritten whole, so an epoch run again after a kill is not listed twice; curves.svg beside it. */
  writeMetrics(history: EpochLine[], steps: StepLine[]): void {
    const metrics = this.file('metrics.jsonl');
    this.write(metrics, () => writeText(metrics, metricsLines(history, steps)));
    const curves = this.file('curves.svg');
    this.write(curves, () => writeText(curves, curvesSvg(history)));
  }

  /** One step line appended between epochs (the epoch's rewrite keeps it). */
  appendStep(line: StepLine): void {
    const metrics = this.file('metrics.jsonl');
    this.write(metrics, () => appendFileSync(metrics, `${JSON.stringify(line)}\n`));
  }

  checkpoint(name: string, parts: CheckpointParts, state: Omit<TrainState, 'optimizer' | 'ema' | 'config'>): void {
    this.write(`the checkpoint ${this.file(`${name}.safetensors`)}`, () => tidy(() => {
      const { tensors, optimizer, ema } = parts.extra();
      const c = this.config;
      saveCheckpoint(c.out, name, parts.weights(), tensors, { ...state, config: c, optimizer, ema },
        { ...parts.metadata, epoch: String(state.epoch) });
      if (name === 'last') this.saved = position(state);
    }));
  }
}
