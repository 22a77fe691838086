// Adam with L2 weight decay added to the gradient (torch.optim.Adam), optionally AMSGrad.
import { z } from 'zod';

import type { Tensor } from '../tensor.js';
import { adamStates, adamUpdate, type AdamWState } from './adamw.js';
import { boolean, nonNegative } from './fields.js';
import { addList } from './foreach-ops.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type StateSpec } from './optimizer.js';

const beta = z.number().min(0).lt(1);

const adamOptions = z.strictObject({
  lr: nonNegative.default(1e-3),
  betas: z.tuple([beta, beta]).describe('two numbers in [0, 1)').default((): [number, number] => [0.9, 0.999]),
  eps: nonNegative.default(1e-8),
  weightDecay: nonNegative.default(0),
  amsgrad: boolean.default(false),
});

/** Options of {@link Adam}. */
export type AdamOptions = z.input<typeof adamOptions>;
/** One group's hyper-parameters, with the defaults filled in. */
export type AdamHyperParams = z.output<typeof adamOptions>;

/**
 * torch.optim.Adam: {@link AdamW}'s update, except that weight decay is L2 regularisation,
 * `g += weightDecay * p`, before the moments (PyTorch's default weightDecay is 0).
 *
 * @example
 * const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3, amsgrad: true });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class Adam extends Optimizer<AdamHyperParams, AdamWState> {
  constructor(params: Tensor[] | ParamGroupInput<AdamOptions>[], options?: AdamOptions) {
    super('Adam', params, options, adamOptions, () => {});
  }

  protected override update(group: ParamGroup<AdamHyperParams>, params: Tensor[], grads: Tensor[]): void {
    const g = group.weightDecay !== 0 ? addList(grads, params, group.weightDecay) : grads;
    adamUpdate(adamStates(this.state, params, group.amsgrad), group, params, g);
  }

  protected override stateSpec(h: AdamHyperParams): StateSpec {
    return { buffers: h.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'], counts: ['step'] };
  }
}
