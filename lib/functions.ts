// torch.* functions over tensors: joining, selection, and multi-tensor (foreach) updates.
import { describe } from './errors.js';
import type { Handle } from './native.js';
import { aten } from './ops/aten.js';
import { callOp } from './ops/registry.js';
import { fromHandle, handleOf, runT, Tensor } from './tensor.js';
import type { Scalar } from './tensor-ops.js';

function handleTensor(t: unknown, what: string): Tensor {
  handleOf(t, what);
  return t as Tensor;
}

function handles(ts: unknown, what: string): Handle[] {
  if (!Array.isArray(ts)) throw new TypeError(`Expected an array of Tensors for ${what} but received ${describe(ts)}`);
  return ts.map((t, i) => handleOf(t, `${what}[${i}]`));
}

/** Joins tensors along an existing dim. @example torch.cat([a, b], 0) */
export const cat = (tensors: Tensor[], dim = 0): Tensor => runT(aten.cat, handles(tensors, 'tensors'), dim);

/** Joins tensors along a new dim. @example torch.stack([a, b], 0) */
export const stack = (tensors: Tensor[], dim = 0): Tensor => runT(aten.stack, handles(tensors, 'tensors'), dim);

/** The number of elements (aten::numel is TorchScript-only in libtorch 1.13). @example torch.numel(x) */
export const numel = (input: Tensor): number => handleTensor(input, 'input').numel();

/** The CUDA device index, -1 on the CPU. @example torch.getDevice(x) */
export const getDevice = (input: Tensor): number => handleTensor(input, 'input').getDevice();

/** Elements of `input` where `condition` holds, else of `other`. @example torch.where(m, x, 0) */
export function where(condition: Tensor, input: Tensor, other: Tensor | Scalar): Tensor {
  const c = handleOf(condition, 'condition');
  const i = handleOf(input, 'input');
  if (other instanceof Tensor) return runT(aten.whereT, c, i, other._h);
  if (typeof other !== 'number' && typeof other !== 'boolean') throw new TypeError(`Expected a Tensor or a number for other but received ${describe(other)}`);
  return runT(aten.whereS, c, i, other);
}

/**
 * Multi-tensor updates, one native call for a whole list (what optimizers use).
 * @example torch.foreach.mul_(momentumBuffers, 0.9); torch.foreach.add_(momentumBuffers, grads);
 */
export const foreach = {
  /** `self[i] += alpha * other[i]`, or `self[i] += scalar`. */
  add_(self: Tensor[], other: Tensor[] | number, options?: { alpha?: number }): void {
    if (typeof other === 'number') callOp(aten.foreachAdd_S, handles(self, 'self'), other);
    else callOp(aten.foreachAdd_L, handles(self, 'self'), handles(other, 'other'), options?.alpha);
  },
  /** `self[i] *= other[i]`, or `self[i] *= scalar`. */
  mul_(self: Tensor[], other: Tensor[] | number): void {
    if (typeof other === 'number') callOp(aten.foreachMul_S, handles(self, 'self'), other);
    else callOp(aten.foreachMul_L, handles(self, 'self'), handles(other, 'other'));
  },
  div_(self: Tensor[], other: Tensor[]): void {
    callOp(aten.foreachDiv_L, handles(self, 'self'), handles(other, 'other'));
  },
  /** `self[i] += value * t1[i] * t2[i]`. */
  addcmul_(self: Tensor[], t1: Tensor[], t2: Tensor[], options?: { value?: number }): void {
    callOp(aten.foreachAddcmul_, handles(self, 'self'), handles(t1, 'tensor1'), handles(t2, 'tensor2'), options?.value);
  },
  /** `self[i] += value * t1[i] / t2[i]`. */
  addcdiv_(self: Tensor[], t1: Tensor[], t2: Tensor[], options?: { value?: number }): void {
    callOp(aten.foreachAddcdiv_, handles(self, 'self'), handles(t1, 'tensor1'), handles(t2, 'tensor2'), options?.value);
  },
  zero_(self: Tensor[]): void {
    callOp(aten.foreachZero_, handles(self, 'self'));
  },
  sqrt(self: Tensor[]): Tensor[] {
    return (callOp(aten.foreachSqrt, handles(self, 'self')) as Handle[]).map(fromHandle);
  },
};

type Method = { [K in keyof Tensor]: Tensor[K] extends (...a: never[]) => unknown ? K : never }[keyof Tensor];

function method<K extends Method>(name: K): (input: Tensor, ...args: Parameters<Tensor[K]>) => ReturnType<Tensor[K]> {
  return (input, ...args) => {
    handleOf(input, 'input');
    return (input[name] as (...a: unknown[]) => ReturnType<Tensor[K]>)(...args);
  };
}

// torch.add(a, b) is a.add(b), and so on, as in PyTorch.
export const add = method('add');
export const sub = method('sub');
export const mul = method('mul');
export const div = method('div');
export const pow = method('pow');
export const relu = method('relu');
export const clamp = method('clamp');
export const matmul = method('matmul');
export const eq = method('eq');
export const ne = method('ne');
export const lt = method('lt');
export const le = method('le');
export const gt = method('gt');
export const ge = method('ge');
export const sum = method('sum');
export const mean = method('mean');
export const argmax = method('argmax');
export const argmin = method('argmin');
export const reshape = method('reshape');
export const permute = method('permute');
export const flatten = method('flatten');
export const transpose = method('transpose');
export const unsqueeze = method('unsqueeze');
export const squeeze = method('squeeze');
export const flip = method('flip');
export const narrow = method('narrow');
export const indexSelect = method('indexSelect');
export const gather = method('gather');
export const logSoftmax = method('logSoftmax');
export const softmax = method('softmax');
export const detach = method('detach');
export const clone = method('clone');
