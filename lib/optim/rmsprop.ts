// RMSprop: gradients divided by a running root mean square, optionally centred and with momentum.
import { z } from 'zod';

import { foreach } from '../functions.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { boolean, nonNegative } from './fields.js';
import { addList, mulScalar, zerosLikePreserving } from './foreach-ops.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type StateSpec } from './optimizer.js';

const rmspropOptions = z.strictObject({
  lr: nonNegative.default(1e-2),
  alpha: nonNegative.default(0.99),
  eps: nonNegative.default(1e-8),
  weightDecay: nonNegative.default(0),
  momentum: nonNegative.default(0),
  centered: boolean.default(false),
});

/** Options of {@link RMSprop}. */
export type RMSpropOptions = z.input<typeof rmspropOptions>;
/** One group's hyper-parameters, with the defaults filled in. */
export type RMSpropHyperParams = z.output<typeof rmspropOptions>;

interface RMSpropState {
  [name: string]: Tensor | number | undefined;
  step: number;
  square_avg: Tensor;
  momentum_buffer?: Tensor;
  grad_avg?: Tensor;
}

/**
 * torch.optim.RMSprop. With gradient g (plus `weightDecay * p`): `v = alpha * v + (1 - alpha) * g²`;
 * centred, also `m = alpha * m + (1 - alpha) * g` and `v - m²` replaces v below;
 * `d = g / (sqrt(v) + eps)`; with momentum `b = momentum * b + d` and `p -= lr * b`, else `p -= lr * d`.
 *
 * @example
 * const opt = new torch.optim.RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9, centered: true });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class RMSprop extends Optimizer<RMSpropHyperParams, RMSpropState> {
  constructor(params: Tensor[] | ParamGroupInput<RMSpropOptions>[], options?: RMSpropOptions) {
    super('RMSprop', params, options, rmspropOptions, () => {});
  }

  protected override update(group: ParamGroup<RMSpropHyperParams>, params: Tensor[], grads: Tensor[]): void {
    const { lr, alpha, eps, weightDecay, momentum, centered } = group;
    const states = params.map((p) => this.#stateOf(p, group));
    for (const s of states) s.step += 1;
    const g = weightDecay !== 0 ? addList(grads, params, weightDecay) : grads;
    const squareAvgs = states.map((s) => s.square_avg);
    foreach.mul_(squareAvgs, alpha);
    foreach.addcmul_(squareAvgs, g, g, { value: 1 - alpha });
    let avg: Tensor[];
    if (centered) {
      const gradAvgs = states.map((s) => s.grad_avg!);
      foreach.mul_(gradAvgs, alpha);
      foreach.add_(gradAvgs, g, { alpha: 1 - alpha });
      // an exact copy, then v - m² in place (PyTorch's out-of-place addcmul)
      const centred = mulScalar(squareAvgs, 1);
      foreach.addcmul_(centred, gradAvgs, gradAvgs, { value: -1 });
      avg = foreach.sqrt(centred);
    } else {
      avg = foreach.sqrt(squareAvgs);
    }
    foreach.add_(avg, eps);
    if (momentum > 0) {
      const buffers = states.map((s) => s.momentum_buffer!);
      foreach.mul_(buffers, momentum);
      foreach.addcdiv_(buffers, g, avg);
      foreach.add_(params, buffers, { alpha: -lr });
    } else {
      foreach.addcdiv_(params, g, avg, { value: -lr });
    }
  }

  #stateOf(p: Tensor, h: RMSpropHyperParams): RMSpropState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = { step: 0, square_avg: keep(zerosLikePreserving(p)) };
      this.state.set(p, s);
    }
    if (h.momentum > 0 && s.momentum_buffer === undefined) s.momentum_buffer = keep(zerosLikePreserving(p));
    if (h.centered && s.grad_avg === undefined) s.grad_avg = keep(zerosLikePreserving(p));
    return s;
  }

  protected override stateSpec(h: RMSpropHyperParams): StateSpec {
    return { buffers: ['square_avg', ...(h.momentum > 0 ? ['momentum_buffer'] : []), ...(h.centered ? ['grad_avg'] : [])], counts: ['step'] };
  }
}
