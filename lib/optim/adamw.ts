// Adam with decoupled weight decay (torch.optim.AdamW), optionally AMSGrad.
import { z } from 'zod';

import { foreach } from '../functions.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { boolean, nonNegative } from './fields.js';
import { divScalar_, maximum_, zerosLikePreserving } from './foreach-ops.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type StateSpec } from './optimizer.js';

const beta = z.number().min(0).lt(1);

const adamwOptions = z.strictObject({
  lr: nonNegative.default(1e-3),
  betas: z.tuple([beta, beta]).describe('two numbers in [0, 1)').default((): [number, number] => [0.9, 0.999]),
  eps: nonNegative.default(1e-8),
  weightDecay: nonNegative.default(1e-2),
  amsgrad: boolean.default(false),
});

/** Options of {@link AdamW}. */
export type AdamWOptions = z.input<typeof adamwOptions>;
/** One group's hyper-parameters, with the defaults filled in. */
export type AdamWHyperParams = z.output<typeof adamwOptions>;

/** Adam's per-parameter state under PyTorch's names. */
export interface AdamWState {
  [name: string]: Tensor | number | undefined;
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
  max_exp_avg_sq?: Tensor;
}

/**
 * torch.optim.AdamW. At step t, with gradient g: `p *= 1 - lr * weightDecay`;
 * `m = b1 * m + (1 - b1) * g`; `v = b2 * v + (1 - b2) * g²` (with amsgrad, `vmax = max(vmax, v)`
 * replaces v below); `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 * Each parameter counts its own steps in JS (no device read); parameters skipped on some
 * steps are updated in a separate multi-tensor call with their own bias correction.
 *
 * @example
 * const opt = new torch.optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.05 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class AdamW extends Optimizer<AdamWHyperParams, AdamWState> {
  constructor(params: Tensor[] | ParamGroupInput<AdamWOptions>[], options?: AdamWOptions) {
    super('AdamW', params, options, adamwOptions, () => {});
  }

  protected override update(group: ParamGroup<AdamWHyperParams>, params: Tensor[], grads: Tensor[]): void {
    if (group.weightDecay !== 0) foreach.mul_(params, 1 - group.lr * group.weightDecay);
    adamUpdate(adamStates(this.state, params, group.amsgrad), group, params, grads);
  }

  protected override stateSpec(h: AdamWHyperParams): StateSpec {
    return { buffers: h.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'], counts: ['step'] };
  }
}

/** Positions of the parameters by step count (one bucket unless some skipped steps). */
function byStep(states: AdamWState[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  states.forEach((s, i) => {
    const at = out.get(s.step);
    if (at) at.push(i);
    else out.set(s.step, [i]);
  });
  return out;
}

/** The state of each parameter, created (zeros) on its first step; amsgrad adds its running maximum. */
export function adamStates(state: Map<Tensor, AdamWState>, params: Tensor[], amsgrad: boolean): AdamWState[] {
  return params.map((p) => {
    let s = state.get(p);
    if (s === undefined) {
      s = { step: 0, exp_avg: keep(zerosLikePreserving(p)), exp_avg_sq: keep(zerosLikePreserving(p)) };
      state.set(p, s);
    }
    if (amsgrad && s.max_exp_avg_sq === undefined) s.max_exp_avg_sq = keep(zerosLikePreserving(p));
    return s;
  });
}

/** Adam's moments and update, after any weight decay (the part Adam and AdamW share). */
export function adamUpdate(states: AdamWState[], group: Omit<AdamWHyperParams, 'weightDecay'>, params: Tensor[], grads: Tensor[]): void {
  const { lr, betas: [beta1, beta2], eps, amsgrad } = group;
  for (const s of states) s.step += 1;
  const expAvgs = states.map((s) => s.exp_avg);
  const expAvgSqs = states.map((s) => s.exp_avg_sq);
  foreach.mul_(expAvgs, beta1);
  foreach.add_(expAvgs, grads, { alpha: 1 - beta1 });
  foreach.mul_(expAvgSqs, beta2);
  foreach.addcmul_(expAvgSqs, grads, grads, { value: 1 - beta2 });
  let second = expAvgSqs;
  if (amsgrad) {
    second = states.map((s) => s.max_exp_avg_sq!);
    maximum_(second, expAvgSqs);
  }
  for (const [step, at] of byStep(states)) {
    const pick = <T>(list: T[]): T[] => (at.length === list.length ? list : at.map((i) => list[i]!));
    const denom = foreach.sqrt(pick(second));
    divScalar_(denom, Math.sqrt(1 - beta2 ** step));
    foreach.add_(denom, eps);
    foreach.addcdiv_(pick(params), pick(expAvgs), denom, { value: (lr / (1 - beta1 ** step)) * -1 });
  }
}
