// Type tests: the public API's declarations accept what it takes and reject what it refuses.
// They are checked when `npm test` compiles the tests; the runtime part shows the calls work.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';
import type { DType, Tensor, TypedArrayOf } from 'torchnode';

test('typed API: factories, properties, conversions and ops have the declared types', () => {
  torch.tidy(() => {
    const x: Tensor = torch.zeros([2, 3], { dtype: 'float64', requiresGrad: true });
    const dtype: DType = x.dtype;
    const shape: number[] = x.shape;
    const f32: TypedArrayOf['float32'] = new Float32Array(4);
    const y = torch.tensor(f32, { shape: [2, 2] });
    const pair: { values: Tensor; indices: Tensor } = y.max(1);
    const n: number | boolean = y.sum().item();
    const ys: Tensor = torch.nn.functional.conv2d(torch.ones([1, 1, 3, 3]), torch.ones([1, 1, 1, 1]), { padding: 0 });
    assert.equal(dtype, 'float64');
    assert.deepEqual(shape, [2, 3]);
    assert.deepEqual(pair.values.shape, [2]);
    assert.equal(n, 0);
    assert.deepEqual(ys.shape, [1, 1, 3, 3]);

    if (false as boolean) {
      // @ts-expect-error 'float' is not a dtype name
      torch.zeros([2], { dtype: 'float' });
      // @ts-expect-error options are strict
      torch.ones([2], { requiresgrad: true });
      // @ts-expect-error devices are 'cpu', 'cuda' or 'cuda:N'
      x.to('tpu');
      // @ts-expect-error conv2d takes tensors
      torch.nn.functional.conv2d(x, 3);
      // @ts-expect-error shape is read-only data, not a method
      x.shape();
      // @ts-expect-error Tensors are not constructed with new by users
      new torch.Tensor();
    }
  });
});

test('the published declarations leave out what is marked @internal (native handles, scope flags)', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const path = await import('node:path');
  const { fixturesDir } = await import('./helpers.js');
  const dist = path.resolve(fixturesDir, '..', '..', 'dist');
  const dts = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts') && !f.startsWith('examples'));
  assert.ok(dts.length > 50, `only ${dts.length} declaration files under dist/`);
  const leaks = dts.filter((f) => /@internal|\b_h\b|_registered|_cloneGuard|_handleForRegistry/.test(readFileSync(path.join(dist, f), 'utf8')));
  assert.deepEqual(leaks, []);
  const tensor = readFileSync(path.join(dist, 'tensor.d.ts'), 'utf8');
  assert.doesNotMatch(tensor, /export declare function (fromHandle|runT|runTs|handleOf)\b/);
});

test('item(), toTypedArray() and dtype are typed by the dtype where it is known (a dtype option, a typed array, a cast)', () => {
  torch.tidy(() => {
    const f = torch.zeros([2], { dtype: 'float64' });
    const f64: Float64Array = f.toTypedArray();
    const dt: 'float64' = f.dtype;
    const ints: BigInt64Array = torch.tensor(BigInt64Array.from([1n, 2n])).toTypedArray();
    const i32: Int32Array = f.to('int32').toTypedArray();
    const f32: Float32Array = torch.tensor([1, 2], { dtype: 'int8' }).float().toTypedArray();
    const flag: boolean = torch.ones([], { dtype: 'bool' }).item();
    const count: number = torch.full([], 3, { dtype: 'int64' }).item();
    const u8: Uint8Array = torch.zerosLike(f, { dtype: 'uint8' }).toTypedArray();
    const same: Float64Array = torch.onesLike(f).toTypedArray();
    // @ts-expect-error a float64 tensor's data is a Float64Array, not a Float32Array
    const wrong: Float32Array = f.toTypedArray();
    // @ts-expect-error item() of a bool tensor is a boolean
    const wrongItem: number = torch.zeros([], { dtype: 'bool' }).item();
    // an unknown dtype stays the union, so the usual reassignments compile
    let h = torch.randn([1, 4]);
    h = h.relu();
    const any: number | boolean = h.sum().item();
    assert.deepEqual([f64.constructor, dt, ints.constructor, i32.constructor, f32.constructor, flag, count, u8.constructor, same.constructor],
      [Float64Array, 'float64', BigInt64Array, Int32Array, Float32Array, true, 3, Uint8Array, Float64Array]);
    assert.equal(wrong.constructor, Float64Array);
    assert.equal(wrongItem, false);
    assert.equal(typeof any, 'number');
  });
});
