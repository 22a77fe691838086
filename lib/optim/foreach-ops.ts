// Multi-tensor ops the optimizers need beyond torch.foreach: one native call for a whole list.
import type { Handle } from '../native.js';
import { aten } from '../ops/aten.js';
import { callOp } from '../ops/registry.js';
import { fromHandle, runT, Tensor } from '../tensor.js';

const handles = (ts: Tensor[]): Handle[] => ts.map((t) => t._h);
const tensors = (hs: unknown): Tensor[] => (hs as Handle[]).map(fromHandle);

/** New tensors `a[i] + alpha * b[i]` (the inputs stay as they are). */
export const addList = (a: Tensor[], b: Tensor[], alpha: number): Tensor[] =>
  tensors(callOp(aten.foreachAddL, handles(a), handles(b), alpha));

/** New tensors `a[i] * scalar`; with 1 it is a bit-exact copy of each tensor. */
export const mulScalar = (a: Tensor[], scalar: number): Tensor[] => tensors(callOp(aten.foreachMulS, handles(a), scalar));

/** `a[i] /= scalar` in place. */
export function divScalar_(a: Tensor[], scalar: number): void {
  callOp(aten.foreachDiv_S, handles(a), scalar);
}

/** `a[i] = max(a[i], b[i])` elementwise, in place. */
export function maximum_(a: Tensor[], b: Tensor[]): void {
  callOp(aten.foreachMaximum_, handles(a), handles(b));
}

/** The `ord`-norm of each tensor, as one 0-d tensor each. */
export const norms = (a: Tensor[], ord: number): Tensor[] => tensors(callOp(aten.foreachNorm, handles(a), ord));

/** Zeros of `t`'s shape, dtype, device and memory format (channels-last stays channels-last). */
export const zerosLikePreserving = (t: Tensor): Tensor => runT(aten.zerosLike, t._h);
