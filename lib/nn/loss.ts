// Loss modules: the functional losses with their options kept (class weights as buffers, as in PyTorch).
import { z } from 'zod';

import * as F from '../functional.js';
import { parseOptions } from '../options.js';
import { Tensor } from '../tensor.js';
import { Module } from './module.js';

const reduction = z.enum(['none', 'mean', 'sum']).describe("'none', 'mean' or 'sum'").default('mean');
const optionalTensor = z.instanceof(Tensor).nullable().describe('a Tensor or null').default(null);

const crossEntropyOptions = z.strictObject({
  weight: optionalTensor,
  ignoreIndex: z.number().int().describe('an integer').default(-100),
  reduction,
  labelSmoothing: z.number().min(0).max(1).describe('a number in [0, 1]').default(0),
});
export type CrossEntropyLossOptions = z.input<typeof crossEntropyOptions>;

/**
 * Cross entropy of logits [N, C, ...] against class indices or probabilities; `forward(input, target)`.
 * @example const loss = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, labels);
 */
export class CrossEntropyLoss extends Module {
  readonly options: Omit<z.output<typeof crossEntropyOptions>, 'weight'>;
  readonly weight: Tensor | null;

  constructor(options: CrossEntropyLossOptions = {}) {
    super();
    const { weight, ...rest } = parseOptions(crossEntropyOptions, options, 'nn.CrossEntropyLoss');
    this.options = rest;
    this.weight = this.registerBuffer('weight', weight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { ...this.options, weight: this.weight });
  }
}

const mseOptions = z.strictObject({ reduction });

/** Mean squared error; `forward(input, target)`. @example new nn.MSELoss().forward(pred, target) */
export class MSELoss extends Module {
  readonly reduction: F.Reduction;

  constructor(options: z.input<typeof mseOptions> = {}) {
    super();
    this.reduction = parseOptions(mseOptions, options, 'nn.MSELoss').reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

const bceOptions = z.strictObject({ weight: optionalTensor, reduction, posWeight: optionalTensor });
export type BCEWithLogitsLossOptions = z.input<typeof bceOptions>;

/**
 * Binary cross entropy on logits (sigmoid folded in, numerically stable); `forward(input, target)`.
 * @example new nn.BCEWithLogitsLoss({ posWeight: torch.tensor([3]) }).forward(logits, targets)
 */
export class BCEWithLogitsLoss extends Module {
  readonly reduction: F.Reduction;
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;

  constructor(options: BCEWithLogitsLossOptions = {}) {
    super();
    const o = parseOptions(bceOptions, options, 'nn.BCEWithLogitsLoss');
    this.reduction = o.reduction;
    this.weight = this.registerBuffer('weight', o.weight);
    this.posWeight = this.registerBuffer('pos_weight', o.posWeight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}
