// Tensor factories: from JS data, and libtorch's zeros/ones/full/empty/arange/rand*.
import { z } from 'zod';

import { checkDevice } from './device.js';
import { dtypeCode, dtypeOfTypedArray, type DType } from './dtype.js';
import { describe } from './errors.js';
import { generatorField } from './generator.js';
import { native, type Handle } from './native.js';
import { aten } from './ops/aten.js';
import { atenRandom } from './ops/aten-random.js';
import { checkInt, checkSize, creationOptions, parseOptions, type CreationOptions } from './options.js';
import type { OpRef } from './ops/registry.js';
import { fromHandle, runT, Tensor } from './tensor.js';

/** Data `torch.tensor()` accepts: a number, boolean or bigint, nested arrays of them, or a typed array. */
export type TensorData = number | boolean | bigint | ArrayBufferView | TensorData[];

const tensorOptions = creationOptions.extend({
  shape: z.array(z.number().int().nonnegative()).describe('an array of non-negative integers').optional(),
});
export type TensorOptions = z.input<typeof tensorOptions>;

const randomOptions = creationOptions.extend({
  generator: generatorField,
});
/** Options of the random factories: those of every factory, and the generator to draw from. */
export type RandomOptions = z.input<typeof randomOptions>;

function finish(t: Tensor, o: z.output<typeof creationOptions>): Tensor {
  if (o.requiresGrad) {
    try {
      t.requiresGrad_(true);
    } catch (e) {
      t.dispose();
      throw e;
    }
  }
  return t;
}

function factory(ref: OpRef, fn: string, lead: unknown[], options: CreationOptions | undefined, defaultDtype?: DType): Tensor {
  const o = parseOptions(creationOptions, options, fn);
  const dtype = o.dtype ?? defaultDtype;
  const t = runT(ref, ...lead, dtype === undefined ? undefined : dtypeCode(dtype), undefined,
    o.device === undefined ? undefined : checkDevice(o.device));
  return finish(t, o);
}

// The generator overloads with no generator draw from the device's global one, as the plain ops do.
function randomFactory(ref: OpRef, fn: string, lead: unknown[], options: RandomOptions | undefined): Tensor {
  const o = parseOptions(randomOptions, options, fn);
  const t = runT(ref, ...lead, o.generator?._h, o.dtype === undefined ? undefined : dtypeCode(o.dtype), undefined,
    o.device === undefined ? undefined : checkDevice(o.device));
  return finish(t, o);
}

/** A tensor of zeros. @example torch.zeros([2, 3], { dtype: 'float64' }) */
export const zeros = <D extends DType = DType>(size: number | number[], options?: CreationOptions & { dtype?: D }): Tensor<D> =>
  factory(aten.zeros, 'torch.zeros()', [checkSize(size)], options) as Tensor<D>;

/** A tensor of ones. @example torch.ones([4]) */
export const ones = <D extends DType = DType>(size: number | number[], options?: CreationOptions & { dtype?: D }): Tensor<D> =>
  factory(aten.ones, 'torch.ones()', [checkSize(size)], options) as Tensor<D>;

/** Uninitialised memory of the given size. @example torch.empty([128, 3, 32, 32]) */
export const empty = <D extends DType = DType>(size: number | number[], options?: CreationOptions & { dtype?: D }): Tensor<D> =>
  factory(aten.empty, 'torch.empty()', [checkSize(size)], options) as Tensor<D>;

/**
 * A tensor filled with `value`; float32 for numbers and bool for booleans unless `dtype` says.
 * @example torch.full([2, 2], 0.5)
 */
export function full<D extends DType>(size: number | number[], value: number | boolean, options: CreationOptions & { dtype: D }): Tensor<D>;
export function full(size: number | number[], value: number | boolean, options?: CreationOptions): Tensor;
export function full(size: number | number[], value: number | boolean, options?: CreationOptions): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`Expected a number or boolean for fillValue but received ${describe(value)}`);
  }
  return factory(aten.full, 'torch.full()', [checkSize(size), value], options, typeof value === 'boolean' ? 'bool' : 'float32');
}

/** Uniform samples in [0, 1). @example torch.rand([3, 3], { generator: new torch.Generator().manualSeed(0) }) */
export const rand = <D extends DType = DType>(size: number | number[], options?: RandomOptions & { dtype?: D }): Tensor<D> =>
  randomFactory(atenRandom.rand, 'torch.rand()', [checkSize(size)], options) as Tensor<D>;

/** Standard normal samples. @example torch.randn([3, 3], { requiresGrad: true }) */
export const randn = <D extends DType = DType>(size: number | number[], options?: RandomOptions & { dtype?: D }): Tensor<D> =>
  randomFactory(atenRandom.randn, 'torch.randn()', [checkSize(size)], options) as Tensor<D>;

/** A random permutation of 0..n-1 (int64). @example torch.randperm(50000, { generator: g }) */
export const randperm = <D extends DType = DType>(n: number, options?: RandomOptions & { dtype?: D }): Tensor<D> =>
  randomFactory(atenRandom.randperm, 'torch.randperm()', [checkInt(n, 'n', 0)], options) as Tensor<D>;

/**
 * Random integers in [low, high): `randint(high, size)` or `randint(low, high, size)`; int64.
 * @example torch.randint(0, 10, [128])
 */
export function randint<D extends DType = DType>(high: number, size: number | number[], options?: RandomOptions & { dtype?: D }): Tensor<D>;
export function randint<D extends DType = DType>(low: number, high: number, size: number | number[], options?: RandomOptions & { dtype?: D }): Tensor<D>;
export function randint(...args: unknown[]): Tensor {
  const short = Array.isArray(args[1]) || (args.length <= 3 && typeof args[2] !== 'number' && !Array.isArray(args[2]));
  const [low, high, size, options] = short ? [0, args[0], args[1], args[2]] : args;
  const lo = checkInt(low, 'low');
  const hi = checkInt(high, 'high');
  if (hi <= lo) throw new RangeError(`Expected high > low for torch.randint() but received low=${lo}, high=${hi}`);
  return randomFactory(atenRandom.randint, 'torch.randint()', [lo, hi, checkSize(size)], options as RandomOptions);
}

/**
 * Values from `start` to `end` (exclusive) by `step`: `arange(end)` or `arange(start, end, step?)`.
 * As in PyTorch, int64 when every bound is an integer, else float32.
 * @example torch.arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75]
 */
export function arange(end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, step: number, options?: CreationOptions): Tensor;
export function arange(...args: unknown[]): Tensor {
  const nums = args.filter((a) => typeof a === 'number') as number[];
  const options = args.length > nums.length ? (args[nums.length] as CreationOptions) : undefined;
  if (nums.length === 0 || nums.length > 3) throw new TypeError('torch.arange() takes (end), (start, end) or (start, end, step), then options');
  const [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
  if (step === 0) throw new RangeError('torch.arange() needs a non-zero step');
  const all = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  return factory(aten.arange, 'torch.arange()', [start, end, step], options, all ? undefined : 'float32');
}

/** Zeros with the shape (and, unless overridden, dtype and device) of `t`. @example const m = torch.zerosLike(w); // momentum buffer */
export function zerosLike<T extends DType>(t: Tensor, options: CreationOptions & { dtype: T }): Tensor<T>;
export function zerosLike<D extends DType>(t: Tensor<D>, options?: CreationOptions): Tensor<D>;
export function zerosLike(t: Tensor, options?: CreationOptions): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...options });
}

/** Ones with the shape (and, unless overridden, dtype and device) of `t`. @example const mask = torch.onesLike(x, { dtype: 'bool' }); */
export function onesLike<T extends DType>(t: Tensor, options: CreationOptions & { dtype: T }): Tensor<T>;
export function onesLike<D extends DType>(t: Tensor<D>, options?: CreationOptions): Tensor<D>;
export function onesLike(t: Tensor, options?: CreationOptions): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...options });
}

type Flat = { values: (number | boolean | bigint)[]; shape: number[] };

function flatten(data: TensorData[]): Flat {
  // The shape comes from the first element at each depth; every other element must match it.
  const shape: number[] = [];
  for (let v: unknown = data; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values: (number | boolean | bigint)[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth < shape.length) {
      if (!Array.isArray(node)) {
        throw new TypeError(`Expected a rectangular nested array: ${path} is ${describe(node)} where an array of length ${shape[depth]} belongs`);
      }
      if (node.length !== shape[depth]) {
        throw new TypeError(`Expected a rectangular nested array: ${path} has length ${node.length} where ${shape[depth]} belongs`);
      }
      node.forEach((v, i) => walk(v, depth + 1, `${path}[${i}]`));
    } else if (typeof node === 'number' || typeof node === 'boolean' || typeof node === 'bigint') {
      values.push(node);
    } else if (Array.isArray(node)) {
      throw new TypeError(`Expected a rectangular nested array: ${path} is an array where a number belongs`);
    } else {
      throw new TypeError(`Expected numbers, booleans or bigints in torch.tensor() data but received ${describe(node)} at ${path}`);
    }
  };
  walk(data, 0, 'data');
  return { values, shape };
}

function bytesOf(values: (number | boolean | bigint)[]): { bytes: ArrayBufferView; dtype: DType } {
  const kind = typeof values[0];
  if (values.some((v) => typeof v !== kind)) throw new TypeError('torch.tensor() data mixes numbers, booleans and bigints');
  if (kind === 'boolean') return { bytes: Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0)), dtype: 'bool' };
  if (kind === 'bigint') return { bytes: BigInt64Array.from(values as bigint[]), dtype: 'int64' };
  // float64 holds every JS number exactly; the target dtype is reached by libtorch's cast.
  return { bytes: Float64Array.from(values as number[]), dtype: 'float64' };
}

/**
 * A new tensor holding a copy of `data`. Numbers become float32 unless `dtype` says otherwise
 * (JS cannot tell 1 from 1.0), booleans bool, bigints int64; a typed array keeps its dtype and
 * `shape` gives it dimensions.
 *
 * @example
 * torch.tensor([[1, 2], [3, 4]]);
 * torch.tensor(new Float32Array(6), { shape: [2, 3] });
 * torch.tensor([0, 3, 1], { dtype: 'int64' });
 */
export function tensor<D extends DType>(data: TensorData, options: TensorOptions & { dtype: D }): Tensor<D>;
export function tensor(data: Float32Array, options?: TensorOptions): Tensor<'float32'>;
export function tensor(data: Float64Array, options?: TensorOptions): Tensor<'float64'>;
export function tensor(data: BigInt64Array, options?: TensorOptions): Tensor<'int64'>;
export function tensor(data: Int32Array, options?: TensorOptions): Tensor<'int32'>;
export function tensor(data: Int16Array, options?: TensorOptions): Tensor<'int16'>;
export function tensor(data: Int8Array, options?: TensorOptions): Tensor<'int8'>;
export function tensor(data: Uint8Array | Uint8ClampedArray, options?: TensorOptions): Tensor<'uint8'>;
export function tensor(data: TensorData, options?: TensorOptions): Tensor;
export function tensor(data: TensorData, options?: TensorOptions): Tensor {
  const o = parseOptions(tensorOptions, options, 'torch.tensor()');
  let bytes: ArrayBufferView;
  let source: DType;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    const d = dtypeOfTypedArray(data);
    const raw16 = data instanceof Uint16Array && (o.dtype === 'float16' || o.dtype === 'bfloat16');
    if (d === undefined && !raw16) {
      throw new TypeError(`torch.tensor() cannot take a ${data.constructor.name}; use Float32Array, Float64Array, ` +
        'BigInt64Array, Int32Array, Int16Array, Int8Array or Uint8Array (Uint16Array with dtype float16/bfloat16)');
    }
    source = raw16 ? o.dtype! : d!;
    bytes = data;
    const length = data.byteLength / (raw16 ? 2 : (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
    shape = o.shape ?? [length];
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel !== length) throw new TypeError(`shape [${shape.join(', ')}] needs ${numel} elements but the data holds ${length}`);
  } else {
    if (o.shape !== undefined) throw new TypeError('the shape option is only for typed-array data: nested arrays carry their shape');
    const flat = Array.isArray(data) ? flatten(data) : { ...flatten([data as TensorData]), shape: [] };
    if (flat.values.length === 0) {
      return finishCreate(fromHandle(native.fromBuffer(new Float32Array(0), dtypeCode('float32'), flat.shape)), o);
    }
    ({ bytes, dtype: source } = bytesOf(flat.values));
    if (source === 'float64' && o.dtype === undefined) o.dtype = 'float32';
    shape = flat.shape;
  }
  let t = fromHandle(native.fromBuffer(bytes, dtypeCode(source), shape) as Handle);
  return finishCreate(t, o);
}

function finishCreate(t: Tensor, o: z.output<typeof tensorOptions>): Tensor {
  const device = o.device === undefined ? undefined : checkDevice(o.device);
  if ((o.dtype !== undefined && o.dtype !== t.dtype) || (device !== undefined && device !== 'cpu')) {
    const moved = t.to({ ...(o.dtype && { dtype: o.dtype }), ...(device && { device }) });
    t.dispose();
    t = moved;
  }
  return finish(t, o);
}
