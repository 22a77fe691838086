// dtype names (PyTorch's) and the c10::ScalarType codes the binding passes them as.
import { describe } from './errors.js';

export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

const CODE: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};
const NAME: Record<number, DType> = Object.fromEntries(Object.entries(CODE).map(([k, v]) => [v, k as DType]));

/** The typed array `toTypedArray()` returns for each dtype (16-bit floats as raw bits). */
export interface TypedArrayOf {
  float32: Float32Array; float64: Float64Array; float16: Uint16Array; bfloat16: Uint16Array;
  int64: BigInt64Array; int32: Int32Array; int16: Int16Array; int8: Int8Array; uint8: Uint8Array; bool: Uint8Array;
}
export type AnyTypedArray = TypedArrayOf[DType];
/** What `item()` returns for a dtype: a boolean for bool, else a number (int64 beyond 2^53 loses digits). */
export type ItemOf<D extends DType> = D extends 'bool' ? boolean : number;

export const TYPED_ARRAY: { [K in DType]: { new (buffer: ArrayBuffer): TypedArrayOf[K] } } = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, bfloat16: Uint16Array, int64: BigInt64Array,
  int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

export function dtypeCode(dtype: unknown, what = 'dtype'): number {
  const code = typeof dtype === 'string' ? CODE[dtype as DType] : undefined;
  if (code === undefined) throw new TypeError(`Expected one of ${DTYPES.join(', ')} for ${what} but received ${describe(dtype)}`);
  return code;
}

export function dtypeName(code: number): DType {
  const name = NAME[code];
  if (!name) throw new TypeError(`torchnode does not support libtorch dtype code ${code}`);
  return name;
}

export const isFloating = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

/** The dtype a typed array holds, or undefined for arrays without a libtorch equivalent. */
export function dtypeOfTypedArray(a: ArrayBufferView): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  return undefined;
}
