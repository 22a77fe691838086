// Tensor methods that are one ATen operator each: arithmetic, comparison, reductions,
// shape and indexing. They are added to Tensor.prototype; the declarations merge into the class.
import { dtypeCode, type DType } from './dtype.js';
import { describe } from './errors.js';
import { generatorOf, type Generator } from './generator.js';
import type { Handle } from './native.js';
import { aten } from './ops/aten.js';
import { atenRandom } from './ops/aten-random.js';
import { callOp, type OpRef } from './ops/registry.js';
import { fromHandle, handleOf, runT, Tensor } from './tensor.js';

export type Scalar = number | boolean;

declare module './tensor.js' {
  // D: the class's dtype parameter (merged declarations repeat it)
  interface Tensor<D extends DType = DType> {
    /** `this + alpha * other`. @example a.add(b, { alpha: 0.5 }) */
    add(other: Tensor | Scalar, options?: { alpha?: number }): Tensor;
    /** `this - alpha * other`. */
    sub(other: Tensor | Scalar, options?: { alpha?: number }): Tensor;
    mul(other: Tensor | Scalar): Tensor;
    /** True division (integers divide to floats, as in PyTorch). */
    div(other: Tensor | Scalar): Tensor;
    add_(other: Tensor | Scalar, options?: { alpha?: number }): this;
    sub_(other: Tensor | Scalar, options?: { alpha?: number }): this;
    mul_(other: Tensor | Scalar): this;
    div_(other: Tensor | Scalar): this;
    pow(exponent: Tensor | Scalar): Tensor;
    relu(): Tensor;
    relu_(): this;
    /** Limits elements to [min, max]; either bound may be null. */
    clamp(min: number | null, max?: number | null): Tensor;
    clamp_(min: number | null, max?: number | null): this;
    matmul(other: Tensor): Tensor;
    /** `this += value * t1 * t2` in place. */
    addcmul_(t1: Tensor, t2: Tensor, options?: { value?: number }): this;
    /** `this += value * t1 / t2` in place. */
    addcdiv_(t1: Tensor, t2: Tensor, options?: { value?: number }): this;
    /** `this += weight * (end - this)` in place. */
    lerp_(end: Tensor, weight: Tensor | number): this;
    zero_(): this;
    fill_(value: Scalar): this;
    /** Copies `src` (broadcast, any device or dtype) into this tensor. */
    copy_(src: Tensor, options?: { nonBlocking?: boolean }): this;
    sqrt_(): this;
    /** Fills from N(mean, std²), drawing from `generator` if given. @example w.normal_(0, 0.01, { generator: g }) */
    normal_(mean?: number, std?: number, options?: { generator?: Generator }): this;
    /** Fills from U(from, to), drawing from `generator` if given. */
    uniform_(from?: number, to?: number, options?: { generator?: Generator }): this;
    /** Fills with 0/1 draws, 1 with probability `p` (0.5 unless said). @example mask.bernoulli_(0.9, { generator: g }) */
    bernoulli_(p?: number, options?: { generator?: Generator }): this;
    eq(other: Tensor | Scalar): Tensor;
    ne(other: Tensor | Scalar): Tensor;
    lt(other: Tensor | Scalar): Tensor;
    le(other: Tensor | Scalar): Tensor;
    gt(other: Tensor | Scalar): Tensor;
    ge(other: Tensor | Scalar): Tensor;
    /** Sum of all elements, or over `dim`. */
    sum(dim?: number | number[], keepdim?: boolean): Tensor;
    mean(dim?: number | number[], keepdim?: boolean): Tensor;
    /** The maximum element, or `{values, indices}` along `dim`. */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    min(): Tensor;
    min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** Same data, new shape (no copy; the tensor must be compatible). `-1` infers one size. */
    view(...shape: number[] | [number[]]): Tensor;
    /** New shape, copying only when a view is impossible. */
    reshape(...shape: number[] | [number[]]): Tensor;
    permute(...dims: number[] | [number[]]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number): Tensor;
    expand(...sizes: number[] | [number[]]): Tensor;
    flip(dims: number | number[]): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    /** Advanced indexing, `t[i, j]` in PyTorch: one index tensor (or null for `:`) per dim. */
    index(indices: (Tensor | null)[]): Tensor;
    logSoftmax(dim: number): Tensor;
    softmax(dim: number): Tensor;
    float(): Tensor<'float32'>;
    double(): Tensor<'float64'>;
    half(): Tensor<'float16'>;
    bfloat16(): Tensor<'bfloat16'>;
    long(): Tensor<'int64'>;
    int(): Tensor<'int32'>;
    bool(): Tensor<'bool'>;
    cpu(): Tensor<D>;
    cuda(device?: number): Tensor<D>;
  }
}

const P = Tensor.prototype as unknown as Record<string, unknown>;

function checkScalar(v: unknown, what: string): Scalar {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  throw new TypeError(`Expected a Tensor or a number for ${what} but received ${describe(v)}`);
}

function alphaOf(options: { alpha?: number } | undefined): number | undefined {
  if (options === undefined) return undefined;
  const alpha = options?.alpha;
  if (alpha !== undefined && typeof alpha !== 'number') throw new TypeError(`Expected a number for alpha but received ${describe(alpha)}`);
  return alpha;
}

/** Methods with a Tensor and a Scalar overload; `alpha` when the op takes one. */
function binary(name: string, tensorOp: OpRef, scalarOp: OpRef, inPlace: boolean, withAlpha: boolean): void {
  P[name] = function (this: Tensor, other: unknown, options?: { alpha?: number }) {
    const self = this._h;
    let result: unknown;
    if (withAlpha) {
      const alpha = alphaOf(options);
      result = other instanceof Tensor
        ? callOp(tensorOp, self, other._h, alpha)
        : callOp(scalarOp, self, checkScalar(other, 'other'), alpha);
    } else {
      result = other instanceof Tensor ? callOp(tensorOp, self, other._h) : callOp(scalarOp, self, checkScalar(other, 'other'));
    }
    return inPlace ? this : fromHandle(result as Handle);
  };
}

binary('add', aten.addT, aten.addS, false, true);
binary('sub', aten.subT, aten.subS, false, true);
binary('mul', aten.mulT, aten.mulS, false, false);
binary('div', aten.divT, aten.divS, false, false);
binary('add_', aten.add_T, aten.add_S, true, true);
binary('sub_', aten.sub_T, aten.sub_S, true, true);
binary('mul_', aten.mul_T, aten.mul_S, true, false);
binary('div_', aten.div_T, aten.div_S, true, false);
binary('pow', aten.powT, aten.powS, false, false);
binary('eq', aten.eqT, aten.eqS, false, false);
binary('ne', aten.neT, aten.neS, false, false);
binary('lt', aten.ltT, aten.ltS, false, false);
binary('le', aten.leT, aten.leS, false, false);
binary('gt', aten.gtT, aten.gtS, false, false);
binary('ge', aten.geT, aten.geS, false, false);

// relu stays by hand: a per-call benchmark case and every ResNet block call it (neg, exp, ... are generated)
P.relu = function (this: Tensor) {
  return runT(aten.relu, this._h);
};

for (const [name, ref] of [['relu_', aten.relu_], ['zero_', aten.zero_], ['sqrt_', aten.sqrt_]] as const) {
  P[name] = function (this: Tensor) {
    callOp(ref, this._h);
    return this;
  };
}

P.matmul = function (this: Tensor, other: unknown) {
  return runT(aten.matmul, this._h, handleOf(other, 'other'));
};

P.clamp = function (this: Tensor, min: number | null, max?: number | null) {
  return runT(aten.clamp, this._h, min, max);
};
P.clamp_ = function (this: Tensor, min: number | null, max?: number | null) {
  callOp(aten.clamp_, this._h, min, max);
  return this;
};
P.addcmul_ = function (this: Tensor, t1: unknown, t2: unknown, options?: { value?: number }) {
  callOp(aten.addcmul_, this._h, handleOf(t1, 'tensor1'), handleOf(t2, 'tensor2'), options?.value);
  return this;
};
P.addcdiv_ = function (this: Tensor, t1: unknown, t2: unknown, options?: { value?: number }) {
  callOp(aten.addcdiv_, this._h, handleOf(t1, 'tensor1'), handleOf(t2, 'tensor2'), options?.value);
  return this;
};
P.lerp_ = function (this: Tensor, end: unknown, weight: unknown) {
  if (weight instanceof Tensor) callOp(aten.lerp_T, this._h, handleOf(end, 'end'), weight._h);
  else callOp(aten.lerp_S, this._h, handleOf(end, 'end'), checkScalar(weight, 'weight'));
  return this;
};
P.fill_ = function (this: Tensor, value: unknown) {
  callOp(aten.fill_, this._h, checkScalar(value, 'value'));
  return this;
};
P.copy_ = function (this: Tensor, src: unknown, options?: { nonBlocking?: boolean }) {
  callOp(aten.copy_, this._h, handleOf(src, 'src'), options?.nonBlocking);
  return this;
};
P.normal_ = function (this: Tensor, mean?: number, std?: number, options?: { generator?: Generator }) {
  callOp(atenRandom.normal_, this._h, mean, std, generatorOf(options, 'Tensor.normal_()')?._h);
  return this;
};
P.uniform_ = function (this: Tensor, from?: number, to?: number, options?: { generator?: Generator }) {
  callOp(atenRandom.uniform_, this._h, from, to, generatorOf(options, 'Tensor.uniform_()')?._h);
  return this;
};
P.bernoulli_ = function (this: Tensor, p?: number, options?: { generator?: Generator }) {
  callOp(atenRandom.bernoulli_, this._h, p, generatorOf(options, 'Tensor.bernoulli_()')?._h);
  return this;
};

P.sum = function (this: Tensor, dim?: number | number[], keepdim?: boolean) {
  return dim === undefined ? runT(aten.sum, this._h) : runT(aten.sumDim, this._h, dim, keepdim);
};
P.mean = function (this: Tensor, dim?: number | number[], keepdim?: boolean) {
  return dim === undefined ? runT(aten.mean, this._h) : runT(aten.meanDim, this._h, dim, keepdim);
};
for (const [name, all, byDim] of [['max', aten.max, aten.maxDim], ['min', aten.min, aten.minDim]] as const) {
  P[name] = function (this: Tensor, dim?: number, keepdim?: boolean) {
    if (dim === undefined) return runT(all, this._h);
    const [values, indices] = (callOp(byDim, this._h, dim, keepdim) as Handle[]).map(fromHandle);
    return { values, indices };
  };
}
P.argmax = function (this: Tensor, dim?: number, keepdim?: boolean) {
  return runT(aten.argmax, this._h, dim, keepdim);
};
P.argmin = function (this: Tensor, dim?: number, keepdim?: boolean) {
  return runT(aten.argmin, this._h, dim, keepdim);
};

/** `f(2, 3)` and `f([2, 3])` both mean `[2, 3]`. */
const sizes = (args: unknown[]): unknown => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args);

for (const [name, ref] of [['view', aten.view], ['reshape', aten.reshape], ['permute', aten.permute], ['expand', aten.expand]] as const) {
  P[name] = function (this: Tensor, ...args: unknown[]) {
    return runT(ref, this._h, sizes(args));
  };
}
P.flatten = function (this: Tensor, startDim?: number, endDim?: number) {
  return runT(aten.flatten, this._h, startDim, endDim);
};
P.transpose = function (this: Tensor, dim0: number, dim1: number) {
  return runT(aten.transpose, this._h, dim0, dim1);
};
P.unsqueeze = function (this: Tensor, dim: number) {
  return runT(aten.unsqueeze, this._h, dim);
};
P.squeeze = function (this: Tensor, dim?: number) {
  return dim === undefined ? runT(aten.squeeze, this._h) : runT(aten.squeezeDim, this._h, dim);
};
P.flip = function (this: Tensor, dims: number | number[]) {
  return runT(aten.flip, this._h, typeof dims === 'number' ? [dims] : dims);
};
P.narrow = function (this: Tensor, dim: number, start: number, length: number) {
  return runT(aten.narrow, this._h, dim, start, length);
};
P.indexSelect = function (this: Tensor, dim: number, index: unknown) {
  return runT(aten.indexSelect, this._h, dim, handleOf(index, 'index'));
};
P.gather = function (this: Tensor, dim: number, index: unknown) {
  return runT(aten.gather, this._h, dim, handleOf(index, 'index'));
};
P.index = function (this: Tensor, indices: unknown) {
  if (!Array.isArray(indices)) throw new TypeError(`Expected an array of Tensors or nulls for indices but received ${describe(indices)}`);
  return runT(aten.index, this._h, indices.map((t, i) => (t === null ? null : handleOf(t, `indices[${i}]`))));
};
P.logSoftmax = function (this: Tensor, dim: number) {
  return runT(aten.logSoftmax, this._h, dim);
};
P.softmax = function (this: Tensor, dim: number) {
  return runT(aten.softmax, this._h, dim);
};

for (const [name, dtype] of [['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['bfloat16', 'bfloat16'],
  ['long', 'int64'], ['int', 'int32'], ['bool', 'bool']] as [string, DType][]) {
  const code = dtypeCode(dtype);
  P[name] = function (this: Tensor) {
    return runT(aten.to, this._h, code);
  };
}
P.cpu = function (this: Tensor) {
  return this.to('cpu');
};
P.cuda = function (this: Tensor, device?: number) {
  return this.to(device === undefined ? 'cuda' : `cuda:${device}`);
};
