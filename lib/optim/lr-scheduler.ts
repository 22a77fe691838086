// torch.optim.lr_scheduler: schedulers that set each parameter group's lr as PyTorch's do,
// step for step (the same recursive formulas, so the same floating-point values).
import { z } from 'zod';

import { describe } from '../errors.js';
import { parseOptions } from '../options.js';
import { boolean, nonNegative, nonNegativeInt, positive, positiveInt, unitInterval } from './fields.js';
import { Optimizer } from './optimizer.js';

type Group = { lr: number } & Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<{ lr: number }, any>;

/** Each group's first rate, shared by every scheduler of its optimizer (PyTorch's group['initial_lr']). */
const initialLrs = new WeakMap<object, number>();

/** A scheduler's state: plain JSON (non-finite numbers as null), for a checkpoint's metadata. */
export type SchedulerState = Record<string, unknown> & { scheduler: string };

const bisectRight = (sorted: number[], x: number): number => {
  let i = 0;
  while (i < sorted.length && sorted[i]! <= x) i++;
  return i;
};

function checkNumberList(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'number')) {
    throw new TypeError(`Expected an array of ${n} numbers for ${what} but received ${describe(v)}`);
  }
  return v as number[];
}

/**
 * The base of the schedulers. Construction performs PyTorch's initial step (the rates for step
 * 0); call `step()` after each `optimizer.step()`.
 * @example
 * const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (const epoch of epochs) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Each group's rate when the schedule started (PyTorch's `base_lrs`). */
  baseLrs: number[];
  /** Steps taken: 0 after construction. */
  lastEpoch = -1;
  protected stepCount = 0;
  /** True while the constructor's initial step runs. */
  protected isInitial = false;
  #lastLr: number[] = [];
  readonly #name: string;

  protected constructor(name: string, optimizer: unknown) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`Expected an Optimizer for optimizer of ${name} but received ${describe(optimizer)}`);
    this.#name = name;
    this.optimizer = optimizer as AnyOptimizer;
    for (const g of this.groups) if (!initialLrs.has(g)) initialLrs.set(g, g.lr);
    this.baseLrs = this.groups.map((g) => initialLrs.get(g)!);
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as Group[];
  }

  /** The rates for `lastEpoch`, from the groups' current ones (PyTorch's `get_lr`). */
  protected abstract getLr(): number[];

  /** The rates for `lastEpoch` from the base rates alone, where PyTorch has one. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** @internal Step 0's rates, as at construction. */
  initialStep(): void {
    this.stepCount = 0;
    this.isInitial = true;
    try {
      this.step();
    } finally {
      this.isInitial = false;
    }
  }

  /** Advances one step and sets each group's lr. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.#apply(this.getLr());
  }

  /** @internal Jumps to `epoch` with the closed form (what SequentialLR does at a milestone). */
  updateLr(epoch: number): void {
    this.lastEpoch = epoch;
    this.#apply(this.closedFormLr() ?? this.getLr());
  }

  #apply(values: number[]): void {
    this.groups.forEach((g, i) => (g.lr = values[i]!));
    this.#lastLr = this.groups.map((g) => g.lr);
  }

  protected setLastLr(values: number[]): void {
    this.#lastLr = [...values];
  }

  /** Each group's rate as this scheduler last set it (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The step counters and rates, as plain JSON. */
  stateDict(): SchedulerState {
    return { scheduler: this.#name, lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: [...this.baseLrs], lastLr: [...this.#lastLr] };
  }

  /** Restores what `stateDict()` wrote for a scheduler built the same way (the group rates come from the optimizer's own state). */
  loadStateDict(state: SchedulerState): void {
    if (state === null || typeof state !== 'object') throw new TypeError(`Expected a scheduler state object for state but received ${describe(state)}`);
    if (state.scheduler !== this.#name) throw new TypeError(`Expected a state dict of ${this.#name} for state but received one of ${describe(state.scheduler)}`);
    const n = this.groups.length;
    const { lastEpoch, stepCount } = state;
    if (!Number.isSafeInteger(lastEpoch) || !Number.isSafeInteger(stepCount)) {
      throw new TypeError(`Expected integers for lastEpoch and stepCount but received ${describe(lastEpoch)} and ${describe(stepCount)}`);
    }
    const baseLrs = checkNumberList(state.baseLrs, n, 'baseLrs');
    const lastLr = checkNumberList(state.lastLr, n, 'lastLr');
    this.loadExtra(state);
    this.lastEpoch = lastEpoch as number;
    this.stepCount = stepCount as number;
    this.baseLrs = [...baseLrs];
    this.#lastLr = [...lastLr];
  }

  /** Checks and restores a subclass's own entries (before anything is changed). */
  protected loadExtra(_state: SchedulerState): void {}
}

const stepOptions = z.strictObject({ stepSize: positiveInt, gamma: nonNegative.default(0.1) });

/**
 * Multiplies each group's rate by `gamma` every `stepSize` steps.
 * @example new optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 })
 */
export class StepLR extends LRScheduler {
  readonly options: z.output<typeof stepOptions>;

  constructor(optimizer: AnyOptimizer, options: z.input<typeof stepOptions>) {
    super('StepLR', optimizer);
    this.options = parseOptions(stepOptions, options, 'StepLR');
    this.initialStep();
  }

  protected getLr(): number[] {
    const { stepSize, gamma } = this.options;
    if (this.lastEpoch === 0 || this.lastEpoch % stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * gamma);
  }

  protected override closedFormLr(): number[] {
    const { stepSize, gamma } = this.options;
    return this.baseLrs.map((b) => b * gamma ** Math.floor(this.lastEpoch / stepSize));
  }
}

const multiStepOptions = z.strictObject({ milestones: z.array(nonNegativeInt).describe('an array of non-negative integers'), gamma: nonNegative.default(0.1) });

/**
 * Multiplies each group's rate by `gamma` at each milestone (twice for a milestone listed twice).
 * @example new optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 })
 */
export class MultiStepLR extends LRScheduler {
  readonly options: z.output<typeof multiStepOptions>;
  readonly #counts = new Map<number, number>();

  constructor(optimizer: AnyOptimizer, options: z.input<typeof multiStepOptions>) {
    super('MultiStepLR', optimizer);
    this.options = parseOptions(multiStepOptions, options, 'MultiStepLR');
    for (const m of this.options.milestones) this.#counts.set(m, (this.#counts.get(m) ?? 0) + 1);
    this.initialStep();
  }

  protected getLr(): number[] {
    const k = this.#counts.get(this.lastEpoch);
    if (k === undefined) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.options.gamma ** k);
  }

  protected override closedFormLr(): number[] {
    const sorted = [...this.options.milestones].sort((a, b) => a - b);
    return this.baseLrs.map((b) => b * this.options.gamma ** bisectRight(sorted, this.lastEpoch));
  }
}

const exponentialOptions = z.strictObject({ gamma: nonNegative });

/** Multiplies each group's rate by `gamma` every step. @example new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.95 }) */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: z.input<typeof exponentialOptions>) {
    super('ExponentialLR', optimizer);
    this.gamma = parseOptions(exponentialOptions, options, 'ExponentialLR').gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.isInitial) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

const linearOptions = z.strictObject({
  startFactor: z.number().gt(0).max(1).describe('a number in (0, 1]').default(1 / 3),
  endFactor: unitInterval.default(1),
  totalIters: positiveInt.default(5),
});

/**
 * Scales each group's base rate linearly from `startFactor` to `endFactor` over `totalIters` steps.
 * @example new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 })
 */
export class LinearLR extends LRScheduler {
  readonly options: z.output<typeof linearOptions>;

  constructor(optimizer: AnyOptimizer, options: z.input<typeof linearOptions> = {}) {
    super('LinearLR', optimizer);
    this.options = parseOptions(linearOptions, options, 'LinearLR');
    this.initialStep();
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this.options;
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * s);
    if (this.isInitial || this.lastEpoch > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1.0 + (e - s) / (n * s + (this.lastEpoch - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this.options;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

const cosineOptions = z.strictObject({ tMax: positiveInt, etaMin: nonNegative.default(0) });

/**
 * Cosine annealing from each group's base rate to `etaMin` over `tMax` steps (and back up after, as PyTorch's does).
 * @example new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 200 })
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly options: z.output<typeof cosineOptions>;

  constructor(optimizer: AnyOptimizer, options: z.input<typeof cosineOptions>) {
    super('CosineAnnealingLR', optimizer);
    this.options = parseOptions(cosineOptions, options, 'CosineAnnealingLR');
    this.initialStep();
  }

  protected getLr(): number[] {
    const { tMax: t, etaMin: eta } = this.options;
    const e = this.lastEpoch;
    if (this.isInitial) return this.groups.map((g) => g.lr);
    if ((((e - 1 - t) % (2 * t)) + 2 * t) % (2 * t) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - eta) * (1 - Math.cos(Math.PI / t))) / 2);
    }
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * e) / t)) / (1 + Math.cos((Math.PI * (e - 1)) / t))) * (g.lr - eta) + eta);
  }

  protected override closedFormLr(): number[] {
    const { tMax: t, etaMin: eta } = this.options;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * this.lastEpoch) / t))) / 2);
  }
}

/** A factor of the base rate for each step number. */
export type LrLambda = (step: number) => number;

/**
 * Each group's rate is its base rate times `lrLambda(step)` (one function, or one per group).
 * The functions are not part of the saved state.
 * @example new optim.lrScheduler.LambdaLR(opt, { lrLambda: (e) => 0.95 ** e })
 */
export class LambdaLR extends LRScheduler {
  readonly #lambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, options: { lrLambda: LrLambda | LrLambda[] }) {
    super('LambdaLR', optimizer);
    const fn = options?.lrLambda;
    const n = this.groups.length;
    if (Array.isArray(fn)) {
      if (fn.length !== n || fn.some((f) => typeof f !== 'function')) throw new TypeError(`Expected ${n} functions for lrLambda but received ${describe(fn)}`);
      this.#lambdas = [...fn];
    } else {
      if (typeof fn !== 'function') throw new TypeError(`Expected a function or an array of them for lrLambda but received ${describe(fn)}`);
      this.#lambdas = this.groups.map(() => fn);
    }
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.#lambdas[i]!(this.lastEpoch));
  }
}

const oneCycleOptions = z.strictObject({
  maxLr: z.union([positive, z.array(positive)]).describe('a positive number or one per param group'),
  totalSteps: positiveInt.optional(),
  epochs: positiveInt.optional(),
  stepsPerEpoch: positiveInt.optional(),
  pctStart: unitInterval.default(0.3),
  annealStrategy: z.enum(['cos', 'linear']).describe("'cos' or 'linear'").default('cos'),
  cycleMomentum: boolean.default(true),
  baseMomentum: nonNegative.default(0.85),
  maxMomentum: nonNegative.default(0.95),
  divFactor: positive.default(25),
  finalDivFactor: positive.default(1e4),
  threePhase: boolean.default(false),
});
export type OneCycleLROptions = z.input<typeof oneCycleOptions>;

type Key = 'initial' | 'max' | 'min';
interface Phase {
  end: number;
  from: Key;
  to: Key;
  fromM: 'base' | 'max';
  toM: 'base' | 'max';
}

/**
 * The one-cycle policy per group: up from `maxLr / divFactor` to `maxLr` over `pctStart` of the
 * steps, then down to `maxLr / divFactor / finalDivFactor`; momentum (or Adam's beta1) cycles
 * the other way unless `cycleMomentum` is false. Step it once per batch.
 * @example new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: epochs * batches })
 */
export class OneCycleLR extends LRScheduler {
  readonly options: z.output<typeof oneCycleOptions>;
  readonly totalSteps: number;
  readonly #phases: Phase[];
  readonly #lrs: Record<Key, number>[];
  readonly #useBeta1: boolean;

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const o = (this.options = parseOptions(oneCycleOptions, options, 'OneCycleLR'));
    if (o.totalSteps !== undefined) this.totalSteps = o.totalSteps;
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) this.totalSteps = o.epochs * o.stepsPerEpoch;
    else throw new TypeError('Expected totalSteps, or epochs and stepsPerEpoch, for OneCycleLR');
    const total = this.totalSteps;
    this.#phases = o.threePhase
      ? [{ end: o.pctStart * total - 1, from: 'initial', to: 'max', fromM: 'max', toM: 'base' },
        { end: 2 * o.pctStart * total - 2, from: 'max', to: 'initial', fromM: 'base', toM: 'max' },
        { end: total - 1, from: 'initial', to: 'min', fromM: 'max', toM: 'max' }]
      : [{ end: o.pctStart * total - 1, from: 'initial', to: 'max', fromM: 'max', toM: 'base' },
        { end: total - 1, from: 'max', to: 'min', fromM: 'base', toM: 'max' }];
    const maxLrs = Array.isArray(o.maxLr) ? checkNumberList(o.maxLr, this.groups.length, 'maxLr') : this.groups.map(() => o.maxLr as number);
    this.#lrs = maxLrs.map((max) => ({ initial: max / o.divFactor, max, min: max / o.divFactor / o.finalDivFactor }));
    // OneCycleLR overwrites the groups' initial rates, as PyTorch's does
    this.groups.forEach((g, i) => initialLrs.set(g, this.#lrs[i]!.initial));
    this.baseLrs = this.#lrs.map((l) => l.initial);
    this.#useBeta1 = this.groups.every((g) => Array.isArray(g.betas));
    if (o.cycleMomentum) {
      if (!this.#useBeta1 && !this.groups.every((g) => typeof g.momentum === 'number')) {
        throw new TypeError('OneCycleLR with cycleMomentum needs an optimizer with momentum or betas; pass cycleMomentum: false');
      }
      for (const g of this.groups) this.#setMomentum(g, o.maxMomentum);
    }
    this.initialStep();
  }

  #setMomentum(g: Group, m: number): void {
    if (this.#useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
    else g.momentum = m;
  }

  #anneal(start: number, end: number, pct: number): number {
    if (this.options.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) throw new RangeError(`Tried to step ${step} times. The specified number of total steps is ${this.totalSteps}`);
    const m = { base: this.options.baseMomentum, max: this.options.maxMomentum };
    return this.groups.map((g, gi) => {
      const lrs = this.#lrs[gi]!;
      let start = 0;
      for (const [i, p] of this.#phases.entries()) {
        if (step <= p.end || i === this.#phases.length - 1) {
          const pct = (step - start) / (p.end - start);
          if (this.options.cycleMomentum) this.#setMomentum(g, this.#anneal(m[p.fromM], m[p.toM], pct));
          return this.#anneal(lrs[p.from], lrs[p.to], pct);
        }
        start = p.end;
      }
      throw new Error('unreachable: the last phase always matches');
    });
  }
}

/**
 * Runs `schedulers` one after another, switching at each milestone (a step number); each
 * starts from the groups' initial rates, as PyTorch's does.
 * @example
 * const warm = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const cos = new CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warm, cos], milestones: [5] });
 */
export class SequentialLR extends LRScheduler {
  readonly #schedulers: LRScheduler[];
  readonly #milestones: number[];

  constructor(optimizer: AnyOptimizer, options: { schedulers: LRScheduler[]; milestones: number[] }) {
    super('SequentialLR', optimizer);
    const { schedulers, milestones } = options ?? ({} as never);
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new TypeError(`Expected a non-empty array of schedulers for schedulers but received ${describe(schedulers)}`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler) || s instanceof ReduceLROnPlateau) throw new TypeError(`Expected a scheduler other than ReduceLROnPlateau for schedulers[${i}] but received ${describe(s)}`);
      if (s.optimizer !== optimizer) throw new TypeError(`Expected schedulers[${i}] to belong to this optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1 || milestones.some((m) => !Number.isSafeInteger(m) || m < 0)) {
      throw new TypeError(`Expected ${schedulers.length - 1} non-negative integer milestones for milestones but received ${describe(milestones)}`);
    }
    this.#schedulers = [...schedulers];
    this.#milestones = [...milestones];
    this.lastEpoch = 0;
    this.groups.forEach((g) => (g.lr = initialLrs.get(g)!));
    // undo the initial steps the schedulers took when they were built
    const undo = (s: LRScheduler): void => {
      if (s instanceof SequentialLR) s.#schedulers.forEach(undo);
      else s.lastEpoch -= 1;
    };
    this.#schedulers.forEach(undo);
    const first = this.#schedulers[bisectRight(this.#milestones, 0)]!;
    first.initialStep();
    this.setLastLr(first.getLastLr());
  }

  protected getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.#milestones, this.lastEpoch);
    const s = this.#schedulers[idx]!;
    if (idx > 0 && this.#milestones[idx - 1] === this.lastEpoch) s.updateLr(0);
    else s.step();
    this.setLastLr(s.getLastLr());
  }

  override stateDict(): SchedulerState {
    return { ...super.stateDict(), schedulers: this.#schedulers.map((s) => s.stateDict()) };
  }

  protected override loadExtra(state: SchedulerState): void {
    const list = state.schedulers;
    if (!Array.isArray(list) || list.length !== this.#schedulers.length) {
      throw new TypeError(`Expected ${this.#schedulers.length} scheduler states for schedulers but received ${describe(list)}`);
    }
    this.#schedulers.forEach((s, i) => s.loadStateDict(list[i] as SchedulerState));
  }
}

const plateauOptions = z.strictObject({
  mode: z.enum(['min', 'max']).describe("'min' or 'max'").default('min'),
  factor: z.number().min(0).lt(1).describe('a number in [0, 1)').default(0.1),
  patience: nonNegativeInt.default(10),
  threshold: nonNegative.default(1e-4),
  thresholdMode: z.enum(['rel', 'abs']).describe("'rel' or 'abs'").default('rel'),
  cooldown: nonNegativeInt.default(0),
  minLr: z.union([nonNegative, z.array(nonNegative)]).describe('a non-negative number or one per param group').default(0),
  eps: nonNegative.default(1e-8),
});
export type ReduceLROnPlateauOptions = z.input<typeof plateauOptions>;

/**
 * Multiplies the rates by `factor` when the metric passed to `step(metric)` has not improved
 * for more than `patience` steps (then waits `cooldown` steps).
 * @example const sched = new optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 5 }); sched.step(valLoss);
 */
export class ReduceLROnPlateau extends LRScheduler {
  readonly options: z.output<typeof plateauOptions>;
  readonly #minLrs: number[];
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    super('ReduceLROnPlateau', optimizer);
    const o = (this.options = parseOptions(plateauOptions, options, 'ReduceLROnPlateau'));
    this.#minLrs = Array.isArray(o.minLr) ? checkNumberList(o.minLr, this.groups.length, 'minLr') : this.groups.map(() => o.minLr as number);
    this.lastEpoch = 0;
    this.best = this.#worse;
    this.setLastLr(this.groups.map((g) => g.lr));
  }

  get #worse(): number {
    return this.options.mode === 'min' ? Infinity : -Infinity;
  }

  #isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.options;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  protected getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }

  /** Records this step's metric (e.g. the validation loss) and reduces the rates if it has stalled. */
  override step(metric?: number): void {
    if (typeof metric !== 'number') throw new TypeError(`Expected a number for metric but received ${describe(metric)}`);
    this.lastEpoch += 1;
    if (this.#isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.options.patience) {
      this.groups.forEach((g, i) => {
        const next = Math.max(g.lr * this.options.factor, this.#minLrs[i]!);
        if (g.lr - next > this.options.eps) g.lr = next;
      });
      this.cooldownCounter = this.options.cooldown;
      this.numBadEpochs = 0;
    }
    this.setLastLr(this.groups.map((g) => g.lr));
  }

  override stateDict(): SchedulerState {
    return { ...super.stateDict(), best: Number.isFinite(this.best) ? this.best : null, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  protected override loadExtra(state: SchedulerState): void {
    const { best, numBadEpochs, cooldownCounter } = state;
    if ((best !== null && typeof best !== 'number') || !Number.isSafeInteger(numBadEpochs) || !Number.isSafeInteger(cooldownCounter)) {
      throw new TypeError(`Expected best (a number or null), numBadEpochs and cooldownCounter for ReduceLROnPlateau state but received ${describe(state)}`);
    }
    this.best = best ?? this.#worse;
    this.numBadEpochs = numBadEpochs as number;
    this.cooldownCounter = cooldownCounter as number;
  }
}
