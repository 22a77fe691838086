// The Tensor class: one JS object owning one reference to a libtorch tensor.
import { constants as bufferConstants } from 'node:buffer';
import { inspect } from 'node:util';

import { TENSOR_CLONE_GUARD } from './clone-guard.js';
import { checkDevice, type Device } from './device.js';
import { dtypeCode, dtypeName, DTYPES, isFloating, TYPED_ARRAY, type DType, type ItemOf, type TypedArrayOf } from './dtype.js';
import { describe } from './errors.js';
import { native, type Handle } from './native.js';
import { aten } from './ops/aten.js';
import { callOp } from './ops/registry.js';
import { memoryFormatField, MEMORY_FORMATS, parseOptions, type MemoryFormat } from './options.js';
import { track, untrack, type Scoped } from './scope.js';
import { z } from 'zod';

// the generated methods' declarations, for files compiled without index.ts (index.ts installs them)
import type {} from './generated/methods.js';

const INTERNAL = Symbol('torchnode.internal');
// read once: a load from the addon's (dictionary-mode) exports costs on every dispose
const disposeHandle = native.dispose;

/** Nested arrays as `toArray()` returns them. */
export type NestedArray<T> = T | NestedArray<T>[];

const toOptions = z.strictObject({
  device: z.string().describe("'cpu', 'cuda' or 'cuda:N'").optional(),
  dtype: z.enum(DTYPES).describe(`one of ${DTYPES.join(', ')}`).optional(),
  memoryFormat: memoryFormatField.optional(),
  copy: z.boolean().describe('a boolean').optional(),
  nonBlocking: z.boolean().describe('a boolean').optional(),
});
export type ToOptions = z.input<typeof toOptions>;

const backwardOptions = z.strictObject({
  retainGraph: z.boolean().describe('a boolean').optional(),
  createGraph: z.boolean().describe('a boolean').optional(),
});

const formatOptions = z.strictObject({ memoryFormat: memoryFormatField.optional() });

/** The most elements one typed array holds in this Node (2^32 in Node 20, 2^53 - 1 from Node 22). */
export const MAX_TYPED_ARRAY_LENGTH: number = bufferConstants.MAX_LENGTH;

const chunkOptions = z.strictObject({
  /** Elements per typed array, the last one possibly fewer. */
  chunkElements: z.number().int().min(1).max(MAX_TYPED_ARRAY_LENGTH).describe(`an integer from 1 to ${MAX_TYPED_ARRAY_LENGTH}`).optional(),
});

/**
 * A tensor on the CPU or a CUDA device. Made by factories (`torch.tensor`, `torch.zeros`,
 * ...) and ops, never with `new`. Free it with `dispose()`, a `using` declaration or a
 * `torch.tidy` scope; the garbage collector is only the backstop.
 *
 * @example
 * const x = torch.randn([2, 3], { requiresGrad: true });
 * x.mul(2).sum().backward();
 * console.log(x.grad!.toArray()); // [[2, 2, 2], [2, 2, 2]]
 */
export class Tensor<D extends DType = DType> implements Scoped {
  #h: Handle | null;
  /** @internal */ _registered = false;
  /** @internal */ _kept = false;
  /** @internal Makes postMessage/structuredClone of a Tensor a clear TypeError (see clone-guard.ts). */
  readonly _cloneGuard = TENSOR_CLONE_GUARD;

  /** Not for users (the token is private): tensors come from torch.tensor(), torch.zeros() and the other factories. */
  constructor(token: symbol, h: Handle) {
    if (token !== INTERNAL) {
      throw new TypeError('Tensors are made by torch.tensor(), torch.zeros() and the other factories, not with new');
    }
    this.#h = h;
  }

  /** @internal The native handle; a TypeError once disposed. */
  get _h(): Handle {
    const h = this.#h;
    if (h === null) throw new TypeError('This tensor has been disposed: it can no longer be used');
    return h;
  }

  /** @internal */
  _handleForRegistry(): Handle {
    return this.#h!;
  }

  /** Whether `dispose()` has freed this tensor. */
  get isDisposed(): boolean {
    return this.#h === null;
  }

  /** Frees the tensor's reference now. Safe to call twice. */
  dispose(): void {
    const h = this.#h;
    if (h === null) return;
    this.#h = null;
    untrack(this);
    disposeHandle(h);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The sizes of each dimension, e.g. `[32, 3, 32, 32]`. */
  get shape(): number[] {
    return native.shape(this._h);
  }

  get dtype(): D {
    return dtypeName(native.dtype(this._h)) as D;
  }

  /** 'cpu' or 'cuda:N'. */
  get device(): Device {
    return native.device(this._h) as Device;
  }

  get ndim(): number {
    return native.shape(this._h).length;
  }

  dim(): number {
    return this.ndim;
  }

  numel(): number {
    return native.shape(this._h).reduce((a, b) => a * b, 1);
  }

  /** The CUDA device index, -1 on the CPU (libtorch 1.13 has no aten::get_device operator to call). */
  getDevice(): number {
    const d = this.device;
    return d === 'cpu' ? -1 : Number(d.slice(d.indexOf(':') + 1));
  }

  /** The size of one dimension (negative counts from the end), or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    const shape = native.shape(this._h);
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (!Number.isInteger(dim) || d < 0 || d >= shape.length) {
      throw new RangeError(`Dimension ${describe(dim)} is out of range for a tensor of ${shape.length} dimensions`);
    }
    return shape[d]!;
  }

  get requiresGrad(): boolean {
    return native.requiresGrad(this._h);
  }

  set requiresGrad(value: boolean) {
    this.requiresGrad_(value);
  }

  /** Sets `requiresGrad` in place and returns this tensor. */
  requiresGrad_(value = true): this {
    if (typeof value !== 'boolean') throw new TypeError(`Expected a boolean for requiresGrad but received ${describe(value)}`);
    if (value && !isFloating(this.dtype)) throw new TypeError(`Only floating-point tensors can require gradients, not ${this.dtype}`);
    native.setRequiresGrad(this._h, value);
    return this;
  }

  /** The accumulated gradient (a new reference each read), or undefined. */
  get grad(): Tensor | undefined {
    const g = native.grad(this._h);
    return g === undefined ? undefined : fromHandle(g);
  }

  set grad(value: Tensor | null | undefined) {
    if (value != null && !(value instanceof Tensor)) {
      throw new TypeError(`Expected a Tensor or null for grad but received ${describe(value)}`);
    }
    if (value != null) {
      const want = `shape [${this.shape.join(', ')}], dtype ${this.dtype} on ${this.device}`;
      const got = `shape [${value.shape.join(', ')}], dtype ${value.dtype} on ${value.device}`;
      if (want !== got) throw new TypeError(`Expected a gradient of ${want} for grad but received ${got}`);
    }
    native.setGrad(this._h, value == null ? null : value._h);
  }

  get isLeaf(): boolean {
    return native.isLeaf(this._h);
  }

  /**
   * Converts to a device, a dtype, or both, optionally to channels-last; returns this
   * tensor's data in a new Tensor (sharing storage when nothing changes, as in PyTorch).
   *
   * @example
   * const y = x.to('cuda').to({ dtype: 'bfloat16', memoryFormat: 'channelsLast' });
   */
  to<T extends DType>(dtype: T): Tensor<T>;
  to<T extends DType>(options: ToOptions & { dtype: T }): Tensor<T>;
  to<T extends DType>(like: Tensor<T>): Tensor<T>;
  to(device: Device): Tensor<D>;
  to(options: ToOptions): Tensor<D>;
  to(target: Device | DType | Tensor | ToOptions): Tensor {
    let o: ToOptions;
    if (target instanceof Tensor) o = { device: target.device, dtype: target.dtype };
    else if (typeof target === 'string') o = (DTYPES as readonly string[]).includes(target) ? { dtype: target as DType } : { device: target };
    else o = parseOptions(toOptions, target, 'Tensor.to()');
    return runT(aten.to, this._h,
      o.dtype === undefined ? undefined : dtypeCode(o.dtype),
      undefined,
      o.device === undefined ? undefined : checkDevice(o.device),
      undefined,
      o.nonBlocking ?? false,
      o.copy ?? false,
      o.memoryFormat === undefined ? undefined : MEMORY_FORMATS[o.memoryFormat as MemoryFormat]);
  }

  contiguous(options?: { memoryFormat?: MemoryFormat }): Tensor {
    const o = parseOptions(formatOptions, options, 'Tensor.contiguous()');
    return runT(aten.contiguous, this._h, MEMORY_FORMATS[o.memoryFormat ?? 'contiguous']);
  }

  isContiguous(options?: { memoryFormat?: MemoryFormat }): boolean {
    const o = parseOptions(formatOptions, options, 'Tensor.isContiguous()');
    return native.isContiguous(this._h, MEMORY_FORMATS[o.memoryFormat ?? 'contiguous']);
  }

  /** A copy that autograd tracks back to this tensor. */
  clone(options?: { memoryFormat?: MemoryFormat }): Tensor {
    const o = parseOptions(formatOptions, options, 'Tensor.clone()');
    return runT(aten.clone, this._h, o.memoryFormat === undefined ? undefined : MEMORY_FORMATS[o.memoryFormat]);
  }

  /** The same data, cut from the autograd graph. */
  detach(): Tensor {
    return runT(aten.detach, this._h);
  }

  /**
   * The elements, row-major, in a new typed array (see `TypedArrayOf`; float16 and
   * bfloat16 come as their raw bits in a Uint16Array, bool as 0/1 bytes).
   */
  toTypedArray(): TypedArrayOf[D] {
    this.#checkFitsTypedArray('toTypedArray()');
    const Ctor = TYPED_ARRAY[this.dtype] as { new (buffer: ArrayBuffer): TypedArrayOf[D] };
    return new Ctor(native.toBuffer(this._h));
  }

  /** Like `toTypedArray()`, copying off the JS thread (a CUDA copy waits for the device there). */
  async toTypedArrayAsync(): Promise<TypedArrayOf[D]> {
    this.#checkFitsTypedArray('toTypedArrayAsync()');
    const Ctor = TYPED_ARRAY[this.dtype] as { new (buffer: ArrayBuffer): TypedArrayOf[D] };
    return new Ctor(await native.toBufferAsync(this._h));
  }

  /**
   * The elements, row-major, as consecutive typed arrays of `chunkElements` each (the last one
   * shorter): for tensors larger than one typed array can hold. Each chunk is copied when the
   * iteration reaches it.
   * @example
   * for (const chunk of big.toTypedArrays({ chunkElements: 2 ** 20 })) hash.update(chunk);
   */
  *toTypedArrays(options?: { chunkElements?: number }): Generator<TypedArrayOf[DType], void, undefined> {
    const { chunkElements = MAX_TYPED_ARRAY_LENGTH } = parseOptions(chunkOptions, options, 'Tensor.toTypedArrays()');
    const Ctor = TYPED_ARRAY[this.dtype];
    // a view when already contiguous; libtorch can hold what a typed array cannot
    const dense = this.contiguous();
    let flat: Tensor;
    try {
      flat = runT(aten.reshape, dense._h, [-1]);
    } finally {
      dense.dispose();
    }
    try {
      const n = flat.numel();
      for (let start = 0; start < n; start += chunkElements) {
        const piece = runT(aten.narrow, flat._h, 0, start, Math.min(chunkElements, n - start));
        try {
          yield new Ctor(native.toBuffer(piece._h));
        } finally {
          piece.dispose();
        }
      }
    } finally {
      flat.dispose();
    }
  }

  #checkFitsTypedArray(method: string): void {
    const n = this.numel();
    if (n > MAX_TYPED_ARRAY_LENGTH) {
      throw new RangeError(`Tensor.${method}: the tensor has ${n} elements, more than one typed array holds in this Node ` +
        `(${MAX_TYPED_ARRAY_LENGTH}); read it in pieces with toTypedArrays()`);
    }
  }

  /** The elements as nested arrays of numbers (booleans for bool; int64 as numbers). */
  toArray(): NestedArray<number | boolean> {
    const dtype = this.dtype;
    let flat: ArrayLike<number | bigint>;
    if (dtype === 'float16' || dtype === 'bfloat16') {
      const f = this.to('float32');
      try {
        flat = f.toTypedArray() as Float32Array;
      } finally {
        f.dispose();
      }
    } else {
      flat = this.toTypedArray();
    }
    const convert: (v: number | bigint) => number | boolean =
      dtype === 'bool' ? (v) => v !== 0 : dtype === 'int64' ? (v) => Number(v) : (v) => v as number;
    return nest(flat, this.shape, 0, { i: 0 }, convert);
  }

  /** The single element of a one-element tensor as a JS number (boolean for bool). */
  item(): ItemOf<D> {
    return callOp(aten.item, this._h) as ItemOf<D>;
  }

  /**
   * Computes gradients of this tensor with respect to graph leaves, accumulating into
   * their `.grad`. A non-scalar tensor needs `gradient`.
   */
  backward(gradient?: Tensor | null, options?: { retainGraph?: boolean; createGraph?: boolean }): void {
    if (gradient != null && !(gradient instanceof Tensor)) {
      throw new TypeError(`Expected a Tensor for gradient but received ${describe(gradient)}`);
    }
    const o = parseOptions(backwardOptions, options, 'Tensor.backward()');
    native.backward(this._h, gradient == null ? null : gradient._h, o.retainGraph, o.createGraph ?? false);
  }

  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  [inspect.custom](): string {
    if (this.isDisposed || this.numel() > 100) return this.toString();
    return `${this.toString().slice(0, -1)}, values=${JSON.stringify(this.toArray())})`;
  }
}

function nest(flat: ArrayLike<number | bigint>, shape: number[], d: number, pos: { i: number },
  convert: (v: number | bigint) => number | boolean): NestedArray<number | boolean> {
  if (d === shape.length) return convert(flat[pos.i++]!);
  const out: NestedArray<number | boolean>[] = new Array(shape[d]!);
  for (let k = 0; k < shape[d]!; k++) out[k] = nest(flat, shape, d + 1, pos, convert);
  return out;
}

/** @internal Wraps a new handle; the innermost tidy() (or the GC backstop) owns it. */
export function fromHandle(h: Handle): Tensor {
  const t = new Tensor(INTERNAL, h);
  track(t);
  return t;
}

/** @internal Calls an op that returns one new tensor. */
export function runT(ref: Parameters<typeof callOp>[0], ...args: unknown[]): Tensor {
  return fromHandle(callOp(ref, ...args) as Handle);
}

/** @internal Calls an op that returns several tensors. */
export function runTs(ref: Parameters<typeof callOp>[0], ...args: unknown[]): Tensor[] {
  return (callOp(ref, ...args) as Handle[]).map(fromHandle);
}

/** @internal The handle of a Tensor argument, with a clear error for anything else. */
export function handleOf(t: unknown, what: string): Handle {
  if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for ${what} but received ${describe(t)}`);
  return t._h;
}
