// Stochastic gradient descent with momentum, Nesterov momentum and (coupled or decoupled) weight decay.
import { z } from 'zod';

import { foreach } from '../functions.js';
import { keep } from '../scope.js';
import { isFloating } from '../dtype.js';
import { describe } from '../errors.js';
import { Tensor } from '../tensor.js';
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

const DECOUPLED_WITH_TENSOR = 'SGD.lrTensor: decoupled weight decay scales parameters by 1 - lr * weightDecay on the host; use a number lr with it';

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
  #lrTensor: Tensor | null = null;

  constructor(params: Tensor[] | ParamGroupInput<SGDOptions>[], options: SGDOptions) {
    super('SGD', params, options, sgdOptions, checkNesterov);
  }

  /**
   * The learning rate every group's step reads, as a 0-d floating tensor on the parameters'
   * device (null: each group's `lr` number, the default). A step then takes the rate from the
   * device, so a captured step follows a schedule by `lr.fill_(v)` without re-capture; its
   * update `p += -1 * d * lr` is bit-equal to the number form's `p += -lr * d`. The tensor
   * stays the caller's. Decoupled weight decay needs the number form.
   *
   * @example
   * const lr = torch.tensor(0.1, { device: 'cuda' });
   * opt.lrTensor = lr; lr.fill_(schedule(step)); opt.step();
   */
  get lrTensor(): Tensor | null {
    return this.#lrTensor;
  }

  set lrTensor(lr: Tensor | null) {
    if (lr !== null && !(lr instanceof Tensor && lr.dim() === 0 && isFloating(lr.dtype))) {
      throw new TypeError(`Expected a 0-d floating-point Tensor or null for lrTensor but received ${describe(lr)}`);
    }
    if (lr !== null && this.paramGroups.some((g) => g.decoupledWeightDecay && g.weightDecay !== 0)) {
      throw new TypeError(DECOUPLED_WITH_TENSOR);
    }
    this.#lrTensor = lr;
  }

  protected override update(group: ParamGroup<SGDHyperParams>, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, decoupledWeightDecay } = group;
    const lrT = this.#lrTensor;
    let d = grads;
    if (weightDecay !== 0) {
      if (decoupledWeightDecay && lrT !== null) throw new TypeError(DECOUPLED_WITH_TENSOR);
      if (decoupledWeightDecay) foreach.mul_(params, 1 - lr * weightDecay);
      else d = addList(grads, params, weightDecay);
    }
    if (momentum !== 0) {
      const buffers = this.#momentumBuffers(params, d, momentum, dampening);
      // d is already a fresh list after coupled weight decay: update it in place (as torch.optim does)
      if (nesterov && d !== grads) foreach.add_(d, buffers, { alpha: momentum });
      else d = nesterov ? addList(d, buffers, momentum) : buffers;
    }
    if (lrT === null) foreach.add_(params, d, { alpha: -lr });
    else foreach.addcmul_(params, d, params.map(() => lrT), { value: -1 });
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
