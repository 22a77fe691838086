// torch.ops.aten against PyTorch's torch.ops.aten (test/fixtures/ops-public.json, written by
// scripts/references/make_ops_public_references.py; the same values from 1.13 and 2.x): overload
// packets and exact overloads, keyword arguments in snake_case and camelCase, tensors, lists and
// tuples in and out, in-place and out= results, Generator arguments, and the errors for operators
// this libtorch lacks and arguments that do not fit.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';
import { expectRef, fromRef, isRef, type Ref } from './reference.js';

type Result = Ref | Result[] | number | boolean | string;
interface Case {
  op: string;
  overload: string | null;
  args: unknown[];
  kwargs: Record<string, unknown>;
  result: Result;
}
const fx = loadFixture<{ inputs: Record<string, Ref>; cases: Case[] }>('ops-public.json');
const { aten } = torch.ops;
const version = torch.buildInfo.version;

function expectResult(actual: unknown, expected: Result, what: string): void {
  if (isRef(expected)) return expectRef(actual as torch.Tensor, expected, what, { exact: true });
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array`);
    assert.equal(actual.length, expected.length, `${what}: length`);
    expected.forEach((e, i) => expectResult(actual[i], e, `${what}[${i}]`));
    return;
  }
  assert.equal(actual, expected, what);
}

for (const c of fx.cases) {
  const name = `aten.${c.op}${c.overload ? `.${c.overload}` : ''}`;
  test(`${name}(${c.args.map((a) => (isRef(a) ? 'tensor' : JSON.stringify(a))).join(', ')}${Object.keys(c.kwargs).length ? `, ${JSON.stringify(c.kwargs)}` : ''}) equals PyTorch's`, () => {
    torch.tidy(() => {
      const inputs = Object.fromEntries(Object.entries(fx.inputs).map(([k, v]) => [k, fromRef(v)]));
      const arg = (v: unknown): unknown => (typeof v === 'string' && v in inputs ? inputs[v] : isRef(v) ? fromRef(v) : v);
      const args = c.args.map((v) => (Array.isArray(v) ? v.map(arg) : arg(v)));
      const packet = aten[c.op]!;
      const fn = c.overload ? packet[c.overload]! : packet;
      const result = Object.keys(c.kwargs).length ? fn(...args, c.kwargs) : fn(...args);
      expectResult(result, c.result, name);
    });
  });
}

test('keyword arguments by schema name in snake_case or camelCase, positional ones by name too', () => {
  torch.tidy(() => {
    const m = torch.tensor([[1, 5, 3], [9, 2, 8]]);
    const snake = aten.sum.dim_IntList(m, [1], { keepdim: true, dtype: 'float64' });
    const camel = aten.amax(m, { dim: [1], keepdim: true });
    assert.deepEqual(snake.toArray(), [[9], [19]]);
    assert.equal(snake.dtype, 'float64');
    assert.deepEqual(camel.toArray(), [[5], [9]]);
    const img = torch.ones([1, 2, 4, 4]);
    const a = aten.max_pool2d_with_indices(img, [2, 2], { stride: [2, 2] });
    const b = aten.maxPool2dWithIndices(img, { kernel_size: [2, 2], stride: [2, 2] });
    const c = aten.max_pool2d_with_indices(img, { kernelSize: 2, stride: 2 });
    for (const r of [b, c]) assert.deepEqual(r[0].toArray(), a[0].toArray());
    assert.equal(aten.empty.memory_format([2, 3, 4, 5], { memoryFormat: 'channelsLast' }).isContiguous({ memoryFormat: 'channelsLast' }), true);
  });
});

test('in-place and out= results are the tensors passed in, holding what the functional overloads return', () => {
  torch.tidy(() => {
    const y = torch.tensor([1, 2, 3]);
    const other = torch.tensor([10, 20, 30]);
    const expected = aten.add.Tensor(y, other, { alpha: 2 }).toArray();
    const r = aten.add_.Tensor(y, other, { alpha: 2 });
    assert.equal(r, y);
    assert.deepEqual(y.toArray(), expected);
    const out = torch.zeros([3]);
    const z = torch.tensor([1, 0, -1]);
    assert.equal(aten.mul.out(y, z, { out }), out);
    assert.deepEqual(out.toArray(), aten.mul.Tensor(y, z).toArray());
    const values = torch.zeros([2]);
    const indices = torch.zeros([2], { dtype: 'int64' });
    const [v, i] = aten.topk.values(y, 2, { values, indices });
    assert.equal(v, values);
    assert.equal(i, indices);
    const [ev, ei] = aten.topk.default(y, 2);
    assert.deepEqual([values.toArray(), indices.toArray()], [ev.toArray(), ei.toArray()]);
  });
});

test('Generator arguments: seeded ops draw as torch.rand does with the same generator', () => {
  torch.tidy(() => {
    const a = aten.rand.generator([4], { generator: new torch.Generator().manualSeed(7) });
    const b = torch.rand([4], { generator: new torch.Generator().manualSeed(7) });
    assert.deepEqual(a.toArray(), b.toArray());
    const g = new torch.Generator().manualSeed(3);
    const p = aten.bernoulli.p(torch.zeros([8]), 0.5, { generator: g });
    g.manualSeed(3);
    assert.deepEqual(aten.bernoulli.p(torch.zeros([8]), 0.5, { generator: g }).toArray(), p.toArray());
  });
});

test('packets: overloads(), .default, schema and name; the namespace lists every operator', () => {
  assert.ok(aten.add.overloads().includes('Tensor'));
  assert.ok(aten.relu.overloads().includes('default'));
  assert.equal(aten.relu.default.schema, 'aten::relu(Tensor self) -> Tensor');
  assert.equal(aten.add.Tensor.qualifiedName, 'aten::add.Tensor');
  assert.equal(aten.add.qualifiedName, 'aten::add');
  assert.equal(aten.maxPool2d.qualifiedName, 'aten::max_pool2d');
  assert.ok('topk' in aten);
  assert.ok(!('no_such_op' in aten));
  const names = Object.keys(aten);
  assert.ok(names.includes('convolution') && names.includes('add_') && names.length > 1000, `${names.length} names`);
  // other namespaces resolve the same way
  assert.equal(torch.ops.quantized.add.qualifiedName, 'quantized::add');
});

test('errors name the operator, the libtorch version, the argument, what it expects and what it got', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3]);
    assert.throws(() => aten.no_such_op, { name: 'TorchError', message: `aten::no_such_op is not in libtorch ${version} (no operator of that name)` });
    assert.throws(() => aten.relu.Foo, { name: 'TorchError', message: `aten::relu.Foo is not in libtorch ${version} (its overloads here: ${aten.relu.overloads().join(', ')})` });
    assert.throws(() => aten.add.default, { name: 'TorchError', message: new RegExp(`^aten::add\\.default is not in libtorch ${version.replace(/[.+]/g, '\\$&')} \\(its overloads here: `) });
    assert.throws(() => aten.topk.default(x, 'a'), { name: 'TypeError', message: "aten::topk: expected an integer for argument 'k' but received 'a' of type string" });
    assert.throws(() => aten.topk.default(x, 2, { bad: 1 }), { name: 'TypeError', message: "aten::topk: has no argument 'bad' (its arguments: self, k, dim, largest, sorted)" });
    assert.throws(() => aten.topk.default(x, 2, { k: 2 }), { name: 'TypeError', message: "aten::topk: received argument 'k' both by position and by name" });
    assert.throws(() => aten.relu.default(x, x), { name: 'TypeError', message: 'aten::relu: takes 1 positional argument(s) but received 2' });
    assert.throws(() => aten.relu.default(), { name: 'TypeError', message: "aten::relu: missing required argument 'self' (Tensor)" });
    assert.throws(() => aten.cat.default([x, 3]), { name: 'TypeError', message: "aten::cat: expected an array of Tensors for argument 'tensors' but received an array of length 2" });
    assert.throws(() => aten.sum.default(x, { dtype: 'float128' }), { name: 'TypeError', message: "aten::sum: expected a dtype (float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool) for argument 'dtype' but received 'float128' of type string" });
    assert.throws(() => aten.rand.generator([2], { generator: {} }), { name: 'TypeError', message: "aten::rand.generator: expected a torch.Generator for argument 'generator' but received an object of type Object" });
    assert.throws(() => aten._foreach_add.ScalarList([x], [1]), { name: 'TypeError', message: "aten::_foreach_add.ScalarList: argument 'scalars' has type Scalar[], which torchnode cannot pass" });
    // a packet lists every overload and why it did not fit
    assert.throws(() => aten.topk(x, 'a'), (e: Error) => {
      assert.equal(e.name, 'TypeError');
      const lines = e.message.split('\n');
      assert.equal(lines[0], "aten::topk: no overload fits the arguments (a float32 Tensor of shape [3], 'a' of type string):");
      assert.ok(lines.slice(1).every((l) => l.endsWith("expected an integer for argument 'k' but received 'a' of type string")), e.message);
      return true;
    });
    // libtorch's own checks come back as TorchError
    assert.throws(() => aten.mm.default(x, x), { name: 'TorchError' });
  });
});
