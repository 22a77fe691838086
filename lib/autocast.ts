// torch.autocast: ops inside run in a lower precision where libtorch's autocast lists allow.
import { z } from 'zod';

import { dtypeCode } from './dtype.js';
import { native } from './native.js';
import { parseOptions } from './options.js';

const autocastOptions = z.strictObject({
  deviceType: z.enum(['cuda', 'cpu']).describe("'cuda' or 'cpu'"),
  dtype: z.enum(['bfloat16', 'float16']).describe("'bfloat16' or 'float16'").optional(),
  enabled: z.boolean().describe('a boolean').default(true),
});
export type AutocastOptions = z.input<typeof autocastOptions>;

/**
 * Runs `fn` with autocast on: convolutions and matmuls in bf16/fp16, reductions and losses in
 * fp32, as PyTorch decides. The default dtype is float16 on CUDA and bfloat16 on the CPU, as in
 * PyTorch. `fn` must be synchronous (autocast is a state of the calling thread).
 *
 * @example
 * const loss = torch.autocast({ deviceType: 'cuda', dtype: 'bfloat16' }, () => F.crossEntropy(model.forward(x), y));
 */
export function autocast<T>(options: AutocastOptions, fn: () => T): T {
  const o = parseOptions(autocastOptions, options, 'torch.autocast()');
  if (typeof fn !== 'function') throw new TypeError('torch.autocast(options, fn) expects a function');
  const dtype = dtypeCode(o.dtype ?? (o.deviceType === 'cuda' ? 'float16' : 'bfloat16'));
  const [wasEnabled, wasDtype] = native.autocastEnter(o.deviceType, o.enabled, dtype);
  let result: T;
  try {
    result = fn();
  } finally {
    native.autocastExit(o.deviceType, wasEnabled, wasDtype);
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('torch.autocast(options, fn) needs a synchronous function: autocast cannot follow an await');
  }
  return result;
}
