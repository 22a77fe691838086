// Average pooling over fixed windows.
import { z } from 'zod';

import * as F from '../functional.js';
import { parseOptions, positionalOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

const pair = (item: z.ZodNumber, what: string) => z.union([item, z.tuple([item, item])]).describe(what);
const positivePair = pair(z.number().int().positive(), 'a positive integer or a pair of them');

const avgPoolOptions = z.strictObject({
  kernelSize: positivePair,
  stride: positivePair.optional(),
  padding: pair(z.number().int().nonnegative(), 'a non-negative integer or a pair of them').default(0),
  ceilMode: z.boolean().describe('a boolean').default(false),
  countIncludePad: z.boolean().describe('a boolean').default(true),
  divisorOverride: z.number().int().positive().nullable().describe('a positive integer or null').default(null),
});
export type AvgPool2dOptions = z.input<typeof avgPoolOptions>;

/** Averages each window; `stride` defaults to `kernelSize`. @example new nn.AvgPool2d(2) */
export class AvgPool2d extends Module {
  readonly options: z.output<typeof avgPoolOptions>;

  constructor(options: AvgPool2dOptions);
  constructor(kernelSize: number | [number, number], options?: Omit<AvgPool2dOptions, 'kernelSize'>);
  constructor(...args: unknown[]) {
    super();
    this.options = parseOptions(avgPoolOptions, positionalOptions(args, ['kernelSize'], 'nn.AvgPool2d'), 'nn.AvgPool2d');
  }

  forward(input: Tensor): Tensor {
    const { kernelSize, ...rest } = this.options;
    return F.avgPool2d(input, kernelSize, rest);
  }
}
