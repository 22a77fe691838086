// Tensors: creation from JS data, factories, random draws, conversions, and reading values back.
import test from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';

import * as torch from 'torchnode';
import { assertClose } from './helpers.js';

/** Runs `fn` in a tidy scope, so a test frees what it makes. */
const scoped = <T>(fn: () => T): T => torch.tidy(fn);

test('torch.tensor from each kind of typed array keeps its dtype and copies the data', () => {
  scoped(() => {
    const cases: [ArrayBufferView & ArrayLike<number | bigint>, torch.DType][] = [
      [Float32Array.from([1.5, -2, 3.25]), 'float32'],
      [Float64Array.from([0.1, -2, 1e300]), 'float64'],
      [BigInt64Array.from([1n, -2n, 2n ** 62n + 1n]), 'int64'],
      [Int32Array.from([1, -2, 2 ** 31 - 1]), 'int32'],
      [Int16Array.from([1, -2, 32767]), 'int16'],
      [Int8Array.from([1, -2, -128]), 'int8'],
      [Uint8Array.from([1, 2, 255]), 'uint8'],
      [Uint8ClampedArray.from([1, 2, 255]), 'uint8'],
    ];
    for (const [data, dtype] of cases) {
      const t = torch.tensor(data);
      assert.equal(t.dtype, dtype, data.constructor.name);
      assert.deepEqual(t.shape, [3]);
      assert.equal(t.device, 'cpu');
      assert.deepEqual(Array.from(t.toTypedArray() as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>), data.constructor.name);
      // a copy: later writes to the source do not reach the tensor
      const before = Array.from(t.toTypedArray() as ArrayLike<unknown>);
      (data as unknown as { fill(v: unknown): void }).fill(typeof data[0] === 'bigint' ? 7n : 7);
      assert.deepEqual(Array.from(t.toTypedArray() as ArrayLike<unknown>), before);
    }
  });
});

test('torch.tensor from 16-bit raw bits, views with an offset, and Buffers', () => {
  scoped(() => {
    const h = torch.tensor(Uint16Array.from([0x3c00, 0xc000, 0x3e00]), { dtype: 'float16' });
    assert.equal(h.dtype, 'float16');
    assert.deepEqual(h.toArray(), [1, -2, 1.5]);
    const bf = torch.tensor(Uint16Array.from([0x3f80, 0xc000, 0x3fc0]), { dtype: 'bfloat16' });
    assert.equal(bf.dtype, 'bfloat16');
    assert.deepEqual(bf.toArray(), [1, -2, 1.5]);

    const buffer = new ArrayBuffer(32);
    const view = new Float32Array(buffer, 8, 3);
    view.set([1, 2, 3]);
    new Float32Array(buffer).fill(9, 0, 2);
    assert.deepEqual(torch.tensor(view).toArray(), [1, 2, 3]);
    // bytes 2..5: the high half of the float 9 (0x41100000, little-endian) and the low half of the next
    assert.deepEqual(torch.tensor(new Int16Array(buffer, 2, 2)).toArray(), [0x4110, 0]);

    const b = Buffer.from('hello');
    const tb = torch.tensor(b);
    assert.equal(tb.dtype, 'uint8');
    assert.deepEqual(tb.toArray(), [104, 101, 108, 108, 111]);
    const sliced = torch.tensor(Buffer.from([0, 1, 2, 3, 4, 5]).subarray(2, 5));
    assert.deepEqual(sliced.toArray(), [2, 3, 4]);
    assert.deepEqual(torch.tensor(Buffer.alloc(6, 1), { shape: [2, 3] }).toArray(), [[1, 1, 1], [1, 1, 1]]);
  });
});

test('the shape option gives typed-array data dimensions', () => {
  scoped(() => {
    const t = torch.tensor(Float32Array.from({ length: 6 }, (_, i) => i), { shape: [2, 3] });
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual(t.toArray(), [[0, 1, 2], [3, 4, 5]]);
    const s = torch.tensor(Float64Array.of(4), { shape: [] });
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 4);
    assert.deepEqual(torch.tensor(new Int32Array(0), { shape: [0, 5] }).shape, [0, 5]);
    const conv = torch.tensor(Int32Array.from([1, 2, 3, 4]), { shape: [2, 2], dtype: 'float64', requiresGrad: true });
    assert.equal(conv.dtype, 'float64');
    assert.equal(conv.requiresGrad, true);
    assert.deepEqual(conv.toArray(), [[1, 2], [3, 4]]);
  });
});

test('torch.tensor from nested arrays infers shape and dtype', () => {
  scoped(() => {
    const m = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(m.shape, [2, 3]);
    assert.equal(m.dtype, 'float32');
    assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const cube = torch.tensor([[[1], [2]], [[3], [4]], [[5], [6]]]);
    assert.deepEqual(cube.shape, [3, 2, 1]);
    assert.deepEqual(cube.toArray(), [[[1], [2]], [[3], [4]], [[5], [6]]]);

    const f = torch.tensor([0.1, 1 / 3]);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.toArray(), [Math.fround(0.1), Math.fround(1 / 3)]);
    const d = torch.tensor([0.1, 1 / 3], { dtype: 'float64' });
    assert.deepEqual(d.toArray(), [0.1, 1 / 3], 'float64 keeps JS numbers exactly');

    const b = torch.tensor([[true, false], [false, true]]);
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(b.toArray(), [[true, false], [false, true]]);
    assert.deepEqual(Array.from(b.toTypedArray() as Uint8Array), [1, 0, 0, 1]);

    const big = torch.tensor([1n, -2n, 2n ** 62n + 1n]);
    assert.equal(big.dtype, 'int64');
    assert.deepEqual(Array.from(big.toTypedArray() as BigInt64Array), [1n, -2n, 2n ** 62n + 1n]);
    assert.deepEqual(big.toArray(), [1, -2, Number(2n ** 62n + 1n)]);

    const ints = torch.tensor([3, -1, 7], { dtype: 'int64' });
    assert.equal(ints.dtype, 'int64');
    assert.deepEqual(ints.toArray(), [3, -1, 7]);
    assert.deepEqual(torch.tensor([1.9, -1.9], { dtype: 'int32' }).toArray(), [1, -1]);

    const scalar = torch.tensor(2.5);
    assert.deepEqual(scalar.shape, []);
    assert.equal(scalar.toArray(), 2.5);
    assert.equal(torch.tensor(true).dtype, 'bool');
    assert.equal(torch.tensor(5n).dtype, 'int64');

    const empty = torch.tensor([]);
    assert.deepEqual(empty.shape, [0]);
    assert.equal(empty.dtype, 'float32');
    assert.deepEqual(torch.tensor([[], []]).shape, [2, 0]);
    assert.deepEqual(torch.tensor([], { dtype: 'int64' }).dtype, 'int64');
  });
});

test('zeros, ones, full, empty: shapes, dtypes, values', () => {
  scoped(() => {
    const z = torch.zeros([2, 3]);
    assert.deepEqual(z.shape, [2, 3]);
    assert.equal(z.dtype, 'float32');
    assert.deepEqual(z.toArray(), [[0, 0, 0], [0, 0, 0]]);
    assert.deepEqual(torch.zeros(4).shape, [4]);
    assert.deepEqual(torch.zeros([]).shape, []);
    assert.equal(torch.zeros([]).item(), 0);
    assert.deepEqual(torch.zeros([2, 0, 3]).toArray(), [[], []]);
    for (const dtype of torch.DTYPES) {
      const o = torch.ones([2], { dtype });
      assert.equal(o.dtype, dtype);
      assert.deepEqual(o.toArray(), dtype === 'bool' ? [true, true] : [1, 1]);
      assert.equal(torch.zeros([3], { dtype }).dtype, dtype);
      const e = torch.empty([2, 2], { dtype });
      assert.deepEqual(e.shape, [2, 2]);
      assert.equal(e.dtype, dtype);
    }
    assert.deepEqual(torch.full([2, 2], 0.5).toArray(), [[0.5, 0.5], [0.5, 0.5]]);
    assert.equal(torch.full([2], 0.5).dtype, 'float32');
    assert.equal(torch.full([2], 3).dtype, 'float32');
    assert.equal(torch.full([2], true).dtype, 'bool');
    assert.deepEqual(torch.full([2], true).toArray(), [true, true]);
    assert.deepEqual(torch.full([3], 7, { dtype: 'int64' }).toArray(), [7, 7, 7]);
    assert.deepEqual(torch.full([1], -1.5, { dtype: 'float64' }).toArray(), [-1.5]);
    assert.equal(torch.ones([2], { requiresGrad: true }).requiresGrad, true);

    const like = torch.ones([2, 3], { dtype: 'int16' });
    const zl = torch.zerosLike(like);
    assert.deepEqual([zl.shape, zl.dtype], [[2, 3], 'int16']);
    assert.deepEqual(zl.toArray(), [[0, 0, 0], [0, 0, 0]]);
    const ol = torch.onesLike(like, { dtype: 'float64' });
    assert.deepEqual([ol.shape, ol.dtype], [[2, 3], 'float64']);
  });
});

test('arange: integer bounds give int64, fractional ones float32', () => {
  scoped(() => {
    const a = torch.arange(5);
    assert.equal(a.dtype, 'int64');
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(torch.arange(2, 5).toArray(), [2, 3, 4]);
    assert.deepEqual(torch.arange(1, 7, 2).toArray(), [1, 3, 5]);
    assert.deepEqual(torch.arange(5, 0, -2).toArray(), [5, 3, 1]);
    const f = torch.arange(0, 1, 0.25);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
    assert.equal(torch.arange(0.5, 3).dtype, 'float32');
    assert.deepEqual(torch.arange(0.5, 3).toArray(), [0.5, 1.5, 2.5]);
    const d = torch.arange(3, { dtype: 'float64' });
    assert.equal(d.dtype, 'float64');
    assert.deepEqual(d.toArray(), [0, 1, 2]);
    assert.deepEqual(torch.arange(1, 4, { dtype: 'int32' }).toArray(), [1, 2, 3]);
    assert.deepEqual(torch.arange(0).shape, [0]);
  });
});

test('rand, randn, randint, randperm: shapes, dtypes and value ranges', () => {
  scoped(() => {
    const u = torch.rand([100, 100]);
    assert.deepEqual(u.shape, [100, 100]);
    assert.equal(u.dtype, 'float32');
    const uv = u.toTypedArray() as Float32Array;
    assert.ok(uv.every((v) => v >= 0 && v < 1), 'rand in [0, 1)');
    const mean = uv.reduce((a, b) => a + b, 0) / uv.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `rand mean ${mean}`);
    assert.equal(torch.rand([2], { dtype: 'float64' }).dtype, 'float64');

    const n = torch.randn([10000], { dtype: 'float64' });
    assert.equal(n.dtype, 'float64');
    const nv = n.toTypedArray() as Float64Array;
    const m = nv.reduce((a, b) => a + b, 0) / nv.length;
    const sd = Math.sqrt(nv.reduce((a, b) => a + (b - m) ** 2, 0) / nv.length);
    assert.ok(Math.abs(m) < 0.05, `randn mean ${m}`);
    assert.ok(Math.abs(sd - 1) < 0.05, `randn std ${sd}`);
    assert.ok(nv.some((v) => v < 0) && nv.some((v) => v > 0));
    assert.equal(torch.randn([3], { requiresGrad: true }).requiresGrad, true);

    const ri = torch.randint(10, [1000]);
    assert.equal(ri.dtype, 'int64');
    assert.deepEqual(ri.shape, [1000]);
    const riv = (ri.toArray() as number[]);
    assert.ok(riv.every((v) => Number.isInteger(v) && v >= 0 && v < 10));
    assert.equal(new Set(riv).size, 10, 'all of 0..9 appear in 1000 draws');
    const rl = torch.randint(-3, 2, [2, 500]);
    assert.deepEqual(rl.shape, [2, 500]);
    const rlv = (rl.toArray() as number[][]).flat();
    assert.ok(rlv.every((v) => v >= -3 && v < 2));
    assert.deepEqual([...new Set(rlv)].sort((a, b) => a - b), [-3, -2, -1, 0, 1]);
    assert.equal(torch.randint(0, 5, [3], { dtype: 'int32' }).dtype, 'int32');

    const p = torch.randperm(50);
    assert.equal(p.dtype, 'int64');
    assert.deepEqual([...(p.toArray() as number[])].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(torch.randperm(0).shape, [0]);
    assert.equal(torch.randperm(4, { dtype: 'int32' }).dtype, 'int32');
  });
});

test('manualSeed makes draws repeatable', () => {
  scoped(() => {
    const draw = () => [torch.rand([5]).toArray(), torch.randn([5]).toArray(), torch.randint(0, 100, [5]).toArray(),
      torch.randperm(8).toArray(), torch.zeros([4]).normal_(0, 1).toArray(), torch.empty([4]).uniform_(-1, 1).toArray()];
    torch.manualSeed(1234);
    const first = draw();
    const second = draw();
    torch.manualSeed(1234);
    assert.deepEqual(draw(), first);
    assert.deepEqual(draw(), second);
    assert.notDeepEqual(first, second);
    torch.manualSeed(1234n);
    assert.deepEqual(draw(), first, 'a bigint seed is the same seed');
    torch.manualSeed(2n ** 64n - 1n);
    assert.notDeepEqual(draw(), first);
    // PyTorch's first torch.rand(3) after manual_seed(0)
    torch.manualSeed(0);
    assertClose(torch.rand([3]).toArray(), [0.49625658988952637, 0.7682217955589294, 0.08847743272781372], { rtol: 0, atol: 0 });
  });
});

test('to(dtype) converts values as libtorch casts them', () => {
  scoped(() => {
    const x = torch.tensor([1.7, -1.7, 0, 2.5]);
    const i = x.to('int32');
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(i.toArray(), [1, -1, 0, 2]);
    assert.deepEqual(x.to('bool').toArray(), [true, true, false, true]);
    assert.deepEqual(x.to({ dtype: 'float64' }).toArray(), [Math.fround(1.7), Math.fround(-1.7), 0, 2.5]);
    assert.deepEqual(x.to('int64').toTypedArray(), BigInt64Array.from([1n, -1n, 0n, 2n]));
    assert.deepEqual(x.to('float16').toArray(), [1.7001953125, -1.7001953125, 0, 2.5]);
    assert.deepEqual(x.to('bfloat16').toArray(), [1.703125, -1.703125, 0, 2.5]);
    assert.deepEqual(torch.tensor([true, false]).to('float32').toArray(), [1, 0]);
    assert.deepEqual(torch.tensor([255, 1], { dtype: 'uint8' }).to('int8').toArray(), [-1, 1]);
    // the shorthand methods
    assert.equal(x.double().dtype, 'float64');
    assert.equal(x.half().dtype, 'float16');
    assert.equal(x.bfloat16().dtype, 'bfloat16');
    assert.equal(x.long().dtype, 'int64');
    assert.equal(x.int().dtype, 'int32');
    assert.equal(x.bool().dtype, 'bool');
    assert.equal(x.long().float().dtype, 'float32');
    // to(other tensor) takes its dtype and device
    const like = torch.zeros([1], { dtype: 'int16' });
    assert.equal(x.to(like).dtype, 'int16');
  });
});

test("to('cpu') and to() with nothing to change keep the values", () => {
  scoped(() => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    const c = x.to('cpu');
    assert.equal(c.device, 'cpu');
    assert.deepEqual(c.toArray(), [[1, 2], [3, 4]]);
    assert.equal(x.cpu().device, 'cpu');
    assert.deepEqual(x.to({ device: 'cpu', dtype: 'float32' }).toArray(), [[1, 2], [3, 4]]);
    // as in PyTorch, no copy is made when nothing changes (unless copy is asked for)
    const shared = x.to('float32');
    shared.fill_(0);
    assert.deepEqual(x.toArray(), [[0, 0], [0, 0]]);
    const copied = x.to({ dtype: 'float32', copy: true });
    copied.fill_(1);
    assert.deepEqual(x.toArray(), [[0, 0], [0, 0]]);
  });
});

test('channels-last memory format: to(), contiguous(), clone() and isContiguous()', () => {
  scoped(() => {
    const x = torch.arange(2 * 3 * 4 * 5, { dtype: 'float32' }).reshape([2, 3, 4, 5]);
    assert.equal(x.isContiguous(), true);
    assert.equal(x.isContiguous({ memoryFormat: 'channelsLast' }), false);
    const cl = x.to({ memoryFormat: 'channelsLast' });
    assert.deepEqual(cl.shape, [2, 3, 4, 5]);
    assert.equal(cl.isContiguous({ memoryFormat: 'channelsLast' }), true);
    assert.equal(cl.isContiguous(), false);
    assert.deepEqual(cl.toArray(), x.toArray(), 'same logical values');
    const back = cl.contiguous();
    assert.equal(back.isContiguous(), true);
    assert.deepEqual(back.toArray(), x.toArray());
    assert.equal(x.contiguous({ memoryFormat: 'channelsLast' }).isContiguous({ memoryFormat: 'channelsLast' }), true);
    assert.equal(x.clone({ memoryFormat: 'channelsLast' }).isContiguous({ memoryFormat: 'channelsLast' }), true);
    assert.equal(cl.clone().isContiguous({ memoryFormat: 'channelsLast' }), true, "clone() preserves the format by default");
    assert.equal(cl.clone({ memoryFormat: 'contiguous' }).isContiguous(), true);
    const both = x.to({ dtype: 'float64', memoryFormat: 'channelsLast' });
    assert.equal(both.dtype, 'float64');
    assert.equal(both.isContiguous({ memoryFormat: 'channelsLast' }), true);
  });
});

test('contiguous, clone and detach', () => {
  scoped(() => {
    const t = torch.arange(6).reshape(2, 3).transpose(0, 1);
    assert.equal(t.isContiguous(), false);
    assert.deepEqual(t.toArray(), [[0, 3], [1, 4], [2, 5]]);
    assert.deepEqual(Array.from(t.toTypedArray() as BigInt64Array), [0n, 3n, 1n, 4n, 2n, 5n], 'toTypedArray is row-major even for a strided tensor');
    const c = t.contiguous();
    assert.equal(c.isContiguous(), true);
    assert.deepEqual(c.toArray(), [[0, 3], [1, 4], [2, 5]]);

    const x = torch.tensor([1, 2, 3]);
    const cl = x.clone();
    cl.fill_(0);
    assert.deepEqual(x.toArray(), [1, 2, 3], 'clone is a copy');
    const g = torch.tensor([1, 2], { requiresGrad: true });
    assert.equal(g.clone().requiresGrad, true);
    const d = g.detach();
    assert.equal(d.requiresGrad, false);
    d.fill_(5);
    assert.deepEqual(g.toArray(), [5, 5], 'detach shares the data');
  });
});

test('toTypedArray, toArray and item for every dtype', () => {
  scoped(() => {
    const expected: Record<torch.DType, { ctor: Function; bits: unknown[]; array: unknown[]; item: unknown }> = {
      float32: { ctor: Float32Array, bits: [1.5, -2], array: [1.5, -2], item: 1.5 },
      float64: { ctor: Float64Array, bits: [1.5, -2], array: [1.5, -2], item: 1.5 },
      float16: { ctor: Uint16Array, bits: [0x3e00, 0xc000], array: [1.5, -2], item: 1.5 },
      bfloat16: { ctor: Uint16Array, bits: [0x3fc0, 0xc000], array: [1.5, -2], item: 1.5 },
      int64: { ctor: BigInt64Array, bits: [1n, -2n], array: [1, -2], item: 1 },
      int32: { ctor: Int32Array, bits: [1, -2], array: [1, -2], item: 1 },
      int16: { ctor: Int16Array, bits: [1, -2], array: [1, -2], item: 1 },
      int8: { ctor: Int8Array, bits: [1, -2], array: [1, -2], item: 1 },
      uint8: { ctor: Uint8Array, bits: [1, 254], array: [1, 254], item: 1 },
      bool: { ctor: Uint8Array, bits: [1, 0], array: [true, false], item: true },
    };
    for (const dtype of torch.DTYPES) {
      const e = expected[dtype];
      const source = dtype === 'bool' ? [true, false] : dtype === 'uint8' ? [1.5, 254] : [1.5, -2];
      const t = torch.tensor(source as number[], { dtype });
      assert.equal(t.dtype, dtype);
      const ta = t.toTypedArray();
      assert.equal(ta.constructor, e.ctor, `${dtype}: ${ta.constructor.name}`);
      assert.deepEqual(Array.from(ta as ArrayLike<unknown>), e.bits, `${dtype} toTypedArray`);
      assert.deepEqual(t.toArray(), e.array, `${dtype} toArray`);
      assert.equal(t.narrow(0, 0, 1).item(), e.item, `${dtype} item`);
      assert.equal(typeof t.narrow(0, 1, 1).reshape([]).item(), dtype === 'bool' ? 'boolean' : 'number');
    }
    // 16-bit floats read back through toArray/item as numbers, rounded to their precision
    assert.equal(torch.tensor([0.1], { dtype: 'float16' }).item(), 0.0999755859375);
    assert.equal(torch.tensor([0.1], { dtype: 'bfloat16' }).item(), 0.10009765625);
    assert.deepEqual(torch.tensor([65504, 1e-8], { dtype: 'float16' }).toArray(), [65504, 0]);
    assert.equal(torch.tensor([2n ** 62n]).item(), 2 ** 62);
  });
});

test('toTypedArrayAsync returns the same data as toTypedArray', async () => {
  const x = torch.arange(12, { dtype: 'float64' }).reshape(3, 4);
  const strided = x.transpose(0, 1);
  const h = x.half();
  try {
    const a = await x.toTypedArrayAsync();
    assert.ok(a instanceof Float64Array);
    assert.deepEqual(Array.from(a as Float64Array), Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(await strided.toTypedArrayAsync(), strided.toTypedArray());
    const hb = await h.toTypedArrayAsync();
    assert.ok(hb instanceof Uint16Array);
    assert.deepEqual(hb, h.toTypedArray());
    const all = await Promise.all([x.toTypedArrayAsync(), strided.toTypedArrayAsync(), x.toTypedArrayAsync()]);
    assert.deepEqual(all[0], all[2]);
  } finally {
    x.dispose();
    strided.dispose();
    h.dispose();
  }
});

test('shape, ndim, dim, numel, size, device and toString', () => {
  scoped(() => {
    const t = torch.zeros([2, 3, 4], { dtype: 'int16' });
    assert.deepEqual(t.shape, [2, 3, 4]);
    assert.equal(t.ndim, 3);
    assert.equal(t.dim(), 3);
    assert.equal(t.numel(), 24);
    assert.deepEqual(t.size(), [2, 3, 4]);
    assert.equal(t.size(1), 3);
    assert.equal(t.size(-1), 4);
    assert.equal(t.device, 'cpu');
    assert.equal(t.toString(), 'Tensor(shape=[2, 3, 4], dtype=int16, device=cpu)');
    assert.equal(torch.zeros([]).numel(), 1);
    assert.equal(torch.zeros([3, 0]).numel(), 0);
    // hand-written: libtorch 1.13 registers aten::numel and aten::get_device for TorchScript only
    assert.equal(torch.numel(t), 24);
    assert.equal(t.getDevice(), -1);
    assert.equal(torch.getDevice(t), -1);
    assert.throws(() => torch.numel([1, 2] as unknown as torch.Tensor), { name: 'TypeError', message: 'Expected a Tensor for input but received an array of length 2' });
  });
});

test('getNumThreads starts at one thread per core; setNumThreads changes it', (t) => {
  const initial = torch.getNumThreads();
  if (process.env.OMP_NUM_THREADS) {
    t.diagnostic(`OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS}: libtorch's own default applies`);
    assert.ok(initial >= 1);
  } else {
    assert.equal(initial, os.availableParallelism());
  }
  try {
    torch.setNumThreads(1);
    assert.equal(torch.getNumThreads(), 1);
    // results do not depend on the thread count
    const one = torch.tidy(() => torch.arange(10000, { dtype: 'float64' }).sum().item());
    torch.setNumThreads(2);
    assert.equal(torch.getNumThreads(), 2);
    const two = torch.tidy(() => torch.arange(10000, { dtype: 'float64' }).sum().item());
    assert.equal(one, 49995000);
    assert.equal(two, 49995000);
    assert.throws(() => torch.setNumThreads(1.5), { name: 'TypeError', message: 'Expected positive integer for numThreads but received 1.5 of type number' });
  } finally {
    torch.setNumThreads(initial);
  }
  assert.equal(torch.getNumThreads(), initial);
});

test('a tensor larger than one typed array: a RangeError naming both sizes before any copy, and toTypedArrays() reads it in pieces', async () => {
  const { constants } = await import('node:buffer');
  const limit = constants.MAX_LENGTH;
  const before = torch.memory().liveTensors;
  let rejected: Promise<void> | undefined;
  torch.tidy(() => {
    // an expanded view: more elements than a typed array holds, one byte of memory
    const huge = torch.zeros([1], { dtype: 'uint8' }).expand([limit + 1]);
    const message = `Tensor.toTypedArray(): the tensor has ${limit + 1} elements, more than one typed array holds in this Node (${limit}); read it in pieces with toTypedArrays()`;
    const rss = process.memoryUsage().rss;
    assert.throws(() => huge.toTypedArray(), { name: 'RangeError', message });
    assert.ok(process.memoryUsage().rss - rss < 64 * 2 ** 20, 'refused before copying');
    rejected = assert.rejects(huge.toTypedArrayAsync(), { name: 'RangeError', message: message.replace('toTypedArray()', 'toTypedArrayAsync()') });
    // pieces in row-major order, non-contiguous input included
    const x = torch.arange(0, 24, 1, { dtype: 'float32' }).reshape([2, 3, 4]).permute([2, 0, 1]);
    const chunks = [...x.toTypedArrays({ chunkElements: 5 })];
    assert.deepEqual(chunks.map((c) => c.length), [5, 5, 5, 5, 4]);
    assert.ok(chunks.every((c) => c instanceof Float32Array));
    assert.deepEqual(chunks.flatMap((c) => Array.from(c as Float32Array)), Array.from(x.toTypedArray() as Float32Array));
    assert.deepEqual([...torch.tensor([1, 2, 3], { dtype: 'int64' }).toTypedArrays()].map((c) => Array.from(c as BigInt64Array)), [[1n, 2n, 3n]]);
    assert.throws(() => [...x.toTypedArrays({ chunkElements: 0 })], { name: 'TypeError', message: `Expected an integer from 1 to ${limit} for chunkElements but received 0 of type number` });
  });
  await rejected;
  assert.equal(torch.memory().liveTensors, before);
});
