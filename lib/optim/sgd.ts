// Stochastic gradient descent with momentum, Nesterov momentum and (coupled or decoupled) weight decay.
import { z } from 'zod';

import { foreach } from '../functions.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { boolean, finite, nonNegative } from './fields.js';
import { addList, mulScalar } from './foreach-ops.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type StateSpec } from './optimizer.js';

const sgdOptions = z.strictObject({
  lr: nonNegative,
  momentum: nonNegative.default(0),
  dampening: finite.default(0),
  weightDecay: nonNegative.default(0),
  nesterov: boolean.default(false),
  decoupledWeightDecay: boolean.default(false),
});

/** Options of {@link SGD}; `lr` is required, as in PyTorch. */
export type SGDOptions = z.input<typeof sgdOptions>;
/** One group's hyper-parameters, with the defaults filled in. */
export type SGDHyperParams = z.output<typeof sgdOptions>;

function checkNesterov(h: SGDHyperParams, where: string): void {
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
    throw new TypeError(`Expected a positive momentum and zero dampening for nesterov in ${where} but received ` +
      `momentum ${h.momentum} and dampening ${h.dampening}`);
  }
}

/**
 * torch.optim.SGD. With gradient g, parameter p and buffer b (a copy of d on the first step):
 * `d = g + weightDecay * p`; `b = momentum * b + (1 - dampening) * d`; `d = nesterov ? d + momentum * b : b`;
 * `p -= lr * d`. With `decoupledWeightDecay` (SGDW) the decay leaves the gradient alone and
 * instead scales `p *= 1 - lr * weightDecay` before the update.
 *
 * @example
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 * opt.zeroGrad(); model.forward(x).mean().backward(); opt.step();
 */
export class SGD extends Optimizer<SGDHyperParams, { momentum_buffer?: Tensor }> {
  constructor(params: Tensor[] | ParamGroupInput<SGDOptions>[], options: SGDOptions) {
    super('SGD', params, options, sgdOptions, checkNesterov);
  }

  protected override update(group: ParamGroup<SGDHyperParams>, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, decoupledWeightDecay } = group;
    let d = grads;
    if (weightDecay !== 0) {
      if (decoupledWeightDecay) foreach.mul_(params, 1 - lr * weightDecay);
      else d = addList(grads, params, weightDecay);
    }
    if (momentum !== 0) {
      const buffers = this.#momentumBuffers(params, d, momentum, dampening);
      d = nesterov ? addList(d, buffers, momentum) : buffers;
    }
    foreach.add_(params, d, { alpha: -lr });
  }

  /** Updates existing buffers in one call; a parameter's first buffer is an exact copy of its d. */
  #momentumBuffers(params: Tensor[], d: Tensor[], momentum: number, dampening: number): Tensor[] {
    const old: Tensor[] = [];
    const oldD: Tensor[] = [];
    const fresh: number[] = [];
    params.forEach((p, i) => {
      const b = this.state.get(p)?.momentum_buffer;
      if (b === undefined) fresh.push(i);
      else {
        old.push(b);
        oldD.push(d[i]!);
      }
    });
    if (old.length > 0) {
      foreach.mul_(old, momentum);
      foreach.add_(old, oldD, { alpha: 1 - dampening });
    }
    if (fresh.length > 0) {
      mulScalar(fresh.map((i) => d[i]!), 1).forEach((b, k) => this.state.set(params[fresh[k]!]!, { momentum_buffer: keep(b) }));
    }
    return params.map((p) => this.state.get(p)!.momentum_buffer!);
  }

  protected override stateSpec(h: SGDHyperParams): StateSpec {
    return { buffers: h.momentum !== 0 ? ['momentum_buffer'] : [], counts: [] };
  }
}
