// Reading the PyTorch-made fixtures of scripts/references/make_references.py: tensors are
// {dtype, shape, data} with data as nested lists (floats exact, through float64).
import assert from 'node:assert/strict';

import * as torch from 'torchnode';

import { assertClose, relativeError } from './helpers.js';

type Nested = number | boolean | Nested[];

export interface Ref {
  dtype: torch.DType;
  shape: number[];
  data: Nested;
  /** float16 and bfloat16 only: the raw 16-bit patterns. */
  bits?: Nested;
}

export const isRef = (v: unknown): v is Ref =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'dtype' in v && 'shape' in v && 'data' in v;

const FLOATING = new Set<string>(['float32', 'float64', 'float16', 'bfloat16']);

export function flatData(v: Nested): number[] {
  if (Array.isArray(v)) return v.flatMap(flatData);
  if (typeof v === 'boolean') return [v ? 1 : 0];
  return [v];
}

/** A torchnode tensor holding a reference's values: torch.tensor(data, {dtype}). */
export function fromRef(ref: Ref, options: { requiresGrad?: boolean } = {}): torch.Tensor {
  const t = torch.tensor(ref.data, { dtype: ref.dtype, ...options });
  assert.deepEqual(t.shape, ref.shape, `fixture tensor of shape [${ref.shape}] built with shape [${t.shape}]`);
  return t;
}

/** Every reference in a tree of objects and arrays, as tensors. */
export function build(tree: any): any {
  if (isRef(tree)) return fromRef(tree);
  if (Array.isArray(tree)) return tree.map(build);
  if (typeof tree === 'object' && tree !== null) return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, build(v)]));
  return tree;
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
  /** Exact equality (Object.is for each element), the default for integer and bool results. */
  exact?: boolean;
}

/**
 * Asserts that a torchnode result has the reference's dtype and shape, and its values:
 * exact for integers and bool, within rtol/atol (1e-5/1e-6 by default) for floats.
 */
export function expectRef(actual: torch.Tensor, ref: Ref, what: string, tol: Tolerance = {}): void {
  assert.ok(actual instanceof torch.Tensor, `${what}: expected a Tensor`);
  assert.equal(actual.dtype, ref.dtype, `${what}: dtype`);
  assert.deepEqual(actual.shape, ref.shape, `${what}: shape`);
  const exact = tol.exact ?? !FLOATING.has(ref.dtype);
  if (exact) {
    const a = flatData(actual.toArray() as Nested);
    const e = flatData(ref.data);
    assert.equal(a.length, e.length, `${what}: element count`);
    for (let i = 0; i < e.length; i++) {
      if (!Object.is(a[i], e[i])) assert.fail(`${what}[${i}] = ${a[i]}, expected exactly ${e[i]}`);
    }
  } else {
    assertClose(actual.toArray(), ref.data, { rtol: tol.rtol ?? 1e-5, atol: tol.atol ?? 1e-6, what });
  }
  // raw bits are compared unless the caller allowed a tolerance (e.g. across libtorch versions)
  if (ref.bits !== undefined && (exact || (tol.rtol === undefined && tol.atol === undefined))) {
    assert.deepEqual(Array.from(actual.toTypedArray() as Uint16Array), flatData(ref.bits), `${what}: raw ${ref.dtype} bits`);
  }
}

/** max|a - e| / max|e| between a float tensor and a reference (shapes must match). */
export function relErrorTo(actual: torch.Tensor, ref: Ref, what: string): number {
  assert.equal(actual.dtype, ref.dtype, `${what}: dtype`);
  assert.deepEqual(actual.shape, ref.shape, `${what}: shape`);
  const a = flatData(actual.toArray() as Nested);
  return relativeError(a, flatData(ref.data));
}
