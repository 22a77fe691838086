// Learning-rate schedules as pure functions of the step: no scheduler state to checkpoint.
import { z } from 'zod';

import { describe } from '../errors.js';
import { parseOptions } from '../options.js';
import { boolean, nonNegative, nonNegativeInt, positive, positiveInt, unitInterval } from './fields.js';

/** A learning rate for each step (or epoch) number. */
export type Schedule = (step: number) => number;

function checkStep(step: unknown, last: number, fn: string): number {
  if (typeof step !== 'number' || !(step >= 0) || step > last) {
    throw new RangeError(`Expected a number in [0, ${last}] for the step of ${fn} but received ${describe(step)}`);
  }
  return step;
}

const oneCycleOptions = z.strictObject({
  maxLr: positive,
  totalSteps: positiveInt,
  pctStart: unitInterval.default(0.3),
  divFactor: positive.default(25),
  finalDivFactor: positive.default(1e4),
  annealStrategy: z.enum(['cos', 'linear']).describe("'cos' or 'linear'").default('cos'),
  threePhase: boolean.default(false),
});
export type OneCycleOptions = z.input<typeof oneCycleOptions>;

interface Phase {
  end: number;
  from: number;
  to: number;
}

/**
 * torch.optim.lr_scheduler.OneCycleLR's learning rate after `step` scheduler steps (0 to
 * `totalSteps`): from `maxLr / divFactor` up to `maxLr` over the first `pctStart` of the steps,
 * then down to `maxLr / divFactor / finalDivFactor` (with `threePhase`, back to the initial
 * rate first, then down). Momentum is not cycled.
 *
 * @example
 * const lrAt = torch.optim.oneCycle({ maxLr: 0.1, totalSteps: epochs * batchesPerEpoch });
 * optimizer.lr = lrAt(step);
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const o = parseOptions(oneCycleOptions, options, 'oneCycle()');
  const initial = o.maxLr / o.divFactor;
  const min = initial / o.finalDivFactor;
  const total = o.totalSteps;
  // Phase ends as PyTorch computes them (float step numbers, each phase starting where the last ended).
  const phases: Phase[] = o.threePhase
    ? [{ end: o.pctStart * total - 1, from: initial, to: o.maxLr },
      { end: 2 * o.pctStart * total - 2, from: o.maxLr, to: initial },
      { end: total - 1, from: initial, to: min }]
    : [{ end: o.pctStart * total - 1, from: initial, to: o.maxLr },
      { end: total - 1, from: o.maxLr, to: min }];
  let start = 0;
  for (const p of phases) {
    if (p.end === start) {
      throw new TypeError(`Expected a pctStart that gives every phase a length for pctStart but received ${describe(o.pctStart)} ` +
        `(with totalSteps ${total} a phase would end where it starts, a division by zero in PyTorch)`);
    }
    start = p.end;
  }
  const anneal = o.annealStrategy === 'cos'
    ? (from: number, to: number, pct: number) => to + ((from - to) / 2.0) * (Math.cos(Math.PI * pct) + 1)
    : (from: number, to: number, pct: number) => (to - from) * pct + from;
  return (step) => {
    checkStep(step, total, 'oneCycle()');
    let from = 0;
    for (let i = 0; i < phases.length; i++) {
      const p = phases[i]!;
      if (step <= p.end || i === phases.length - 1) return anneal(p.from, p.to, (step - from) / (p.end - from));
      from = p.end;
    }
    throw new Error('unreachable');
  };
}

const warmupOptions = z.strictObject({
  baseLr: nonNegative,
  warmupSteps: nonNegativeInt,
  totalSteps: positiveInt,
  minLr: nonNegative.default(0),
});
export type CosineWithWarmupOptions = z.input<typeof warmupOptions>;

/**
 * Linear warm-up from 0, then a cosine decay to `minLr`: with W = warmupSteps and T = totalSteps,
 * `lr(s) = baseLr * s / W` for s < W, `lr(s) = minLr + (baseLr - minLr) * (1 + cos(pi * (s - W) / (T - W))) / 2`
 * for W <= s <= T, and `minLr` after T.
 *
 * @example
 * const lrAt = torch.optim.cosineWithWarmup({ baseLr: 3e-4, warmupSteps: 500, totalSteps: 20_000 });
 * optimizer.lr = lrAt(step);
 */
export function cosineWithWarmup(options: CosineWithWarmupOptions): Schedule {
  const o = parseOptions(warmupOptions, options, 'cosineWithWarmup()');
  if (o.warmupSteps > o.totalSteps) {
    throw new TypeError(`Expected at most totalSteps (${o.totalSteps}) for warmupSteps but received ${describe(o.warmupSteps)}`);
  }
  const { baseLr, warmupSteps: w, totalSteps: t, minLr } = o;
  return (step) => {
    checkStep(step, Infinity, 'cosineWithWarmup()');
    if (step < w) return (baseLr * step) / w;
    if (step >= t) return minLr;
    return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * (step - w)) / (t - w)))) / 2;
  };
}

const multiStepOptions = z.strictObject({
  baseLr: nonNegative,
  milestones: z.array(nonNegativeInt).describe('an array of non-negative integers'),
  gamma: nonNegative.default(0.1),
});
export type MultiStepOptions = z.input<typeof multiStepOptions>;

/**
 * torch.optim.lr_scheduler.MultiStepLR: the rate is multiplied by `gamma` at each milestone
 * (by `gamma ** k` at one listed k times), in the same order of float operations as PyTorch.
 *
 * @example
 * const lrAt = torch.optim.multiStep({ baseLr: 0.1, milestones: [100, 150] });
 * optimizer.lr = lrAt(epoch);
 */
export function multiStep(options: MultiStepOptions): Schedule {
  const o = parseOptions(multiStepOptions, options, 'multiStep()');
  const counts = new Map<number, number>();
  for (const m of o.milestones) counts.set(m, (counts.get(m) ?? 0) + 1);
  const drops = [...counts].sort(([a], [b]) => a - b);
  return (step) => {
    checkStep(step, Infinity, 'multiStep()');
    let lr = o.baseLr;
    for (const [m, k] of drops) {
      if (m > step) break;
      lr = lr * o.gamma ** k;
    }
    return lr;
  };
}
