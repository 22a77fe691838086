// Activation modules beyond ReLU: GELU and SiLU.
import { z } from 'zod';

import * as F from '../functional.js';
import { parseOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

const geluOptions = z.strictObject({ approximate: z.enum(['none', 'tanh']).describe("'none' or 'tanh'").default('none') });

/** `x * Φ(x)` (or its tanh approximation). @example new nn.GELU({ approximate: 'tanh' }) */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: z.input<typeof geluOptions> = {}) {
    super();
    this.approximate = parseOptions(geluOptions, options, 'nn.GELU').approximate;
  }

  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }
}

const siluOptions = z.strictObject({ inplace: z.boolean().describe('a boolean').default(false) });

/** `x * sigmoid(x)` (swish). `inplace` overwrites the input. @example new nn.SiLU() */
export class SiLU extends Module {
  readonly inplace: boolean;

  constructor(options: z.input<typeof siluOptions> = {}) {
    super();
    this.inplace = parseOptions(siluOptions, options, 'nn.SiLU').inplace;
  }

  forward(input: Tensor): Tensor {
    return F.silu(input, { inplace: this.inplace });
  }
}
