// torch.nn.utils: clipping gradients in place, by their total norm or elementwise.
import { noGrad } from '../autograd.js';
import { tensor } from '../creation.js';
import { describe, TorchError } from '../errors.js';
import { stack } from '../functions.js';
import type { Handle } from '../native.js';
import { atenNn } from '../ops/aten-nn.js';
import { callOp } from '../ops/registry.js';
import { keep, tidy } from '../scope.js';
import { fromHandle, runT, Tensor } from '../tensor.js';

export interface ClipGradNormOptions {
  /** The p of the p-norm (2 by default; Infinity for the largest absolute value). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  errorIfNonfinite?: boolean;
  /** Accepted for PyTorch's signature: torchnode always uses the multi-tensor (foreach) kernels. */
  foreach?: boolean | null;
}

function gradsOf(parameters: unknown, fn: string): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : parameters;
  if (list === null || typeof list !== 'object' || typeof (list as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`Expected a Tensor or an iterable of Tensors for parameters of ${fn} but received ${describe(parameters)}`);
  }
  const grads: Tensor[] = [];
  let i = 0;
  for (const p of list as Iterable<unknown>) {
    if (!(p instanceof Tensor)) throw new TypeError(`Expected a Tensor for parameters[${i}] of ${fn} but received ${describe(p)}`);
    const g = p.grad;
    if (g !== undefined) grads.push(g);
    i++;
  }
  return grads;
}

/**
 * Scales the gradients in place so that their total `normType`-norm (the norm of the gradients'
 * norms) is at most `maxNorm`: each is multiplied by `min(maxNorm / (total + 1e-6), 1)`.
 * Returns the total norm before clipping, as a 0-d tensor (as PyTorch does).
 * @example
 * loss.backward();
 * const norm = nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new TypeError(`Expected a number for maxNorm but received ${describe(maxNorm)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected an options object for clipGradNorm_ but received ${describe(options)}`);
  const { normType = 2, errorIfNonfinite = false, foreach = null } = options;
  if (typeof normType !== 'number' || Number.isNaN(normType)) throw new TypeError(`Expected a number for normType but received ${describe(normType)}`);
  if (typeof errorIfNonfinite !== 'boolean') throw new TypeError(`Expected a boolean for errorIfNonfinite but received ${describe(errorIfNonfinite)}`);
  if (foreach !== null && typeof foreach !== 'boolean') throw new TypeError(`Expected a boolean or null for foreach but received ${describe(foreach)}`);
  return noGrad(() => tidy(() => {
    const grads = gradsOf(parameters, 'clipGradNorm_');
    if (grads.length === 0) return keep(tensor(0));
    const norms = (callOp(atenNn.foreachNorm, grads.map((g) => g._h), normType) as Handle[]).map(fromHandle);
    const total = runT(atenNn.vectorNorm, stack(norms)._h, normType);
    if (errorIfNonfinite && !Number.isFinite(total.item() as number)) {
      throw new TorchError(`The total norm of order ${normType} for gradients from parameters is non-finite, so it cannot be clipped. ` +
        'To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false');
    }
    // maxNorm / (total + 1e-6) as PyTorch computes it (reciprocal, then the product), clamped at 1
    const coef = runT(atenNn.reciprocal, total.add(1e-6)._h).mul(maxNorm).clamp(null, 1);
    for (const g of grads) g.mul_(coef);
    return keep(total);
  }));
}

/**
 * Clamps every gradient in place to [-clipValue, clipValue].
 * @example loss.backward(); nn.utils.clipGradValue_(model.parameters(), 0.5); opt.step();
 */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) throw new TypeError(`Expected a number for clipValue but received ${describe(clipValue)}`);
  noGrad(() => tidy(() => {
    for (const g of gradsOf(parameters, 'clipGradValue_')) g.clamp_(-clipValue, clipValue);
  }));
}
