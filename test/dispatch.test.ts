// Operators called by schema through libtorch's dispatcher.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';
// Internal modules (not public API), from the same dist/ the package exports.
const dist = new URL('../../dist/', import.meta.url);
const { callOp, op, resolve } = (await import(new URL('ops/registry.js', dist).href)) as typeof import('../lib/ops/registry.js');
const { native } = (await import(new URL('native.js', dist).href)) as typeof import('../lib/native.js');

test('an operator whose schema does not take the arguments torchnode passes is refused by name', () => {
  assert.throws(() => resolve(op('aten::add.Tensor', ['self', 'oops'])), {
    name: 'TorchError',
    message: `aten::add.Tensor in libtorch ${torch.buildInfo.version} takes (self, other, alpha) but torchnode passes (self, oops)`,
  });
});

test('an unknown operator is a TorchError naming it and the libtorch version; libtorch\'s own error carries no backtrace', () => {
  assert.throws(() => resolve(op('aten::no_such_op', [])),
    { name: 'TorchError', message: `aten::no_such_op is not in libtorch ${torch.buildInfo.version} (no operator of that name)` });
  assert.throws(() => native.resolveOp('aten::no_such_op', ''), (e: Error) =>
    e instanceof torch.TorchError && /^Could not find schema for aten::no_such_op/.test(e.message) && !/Exception raised from/.test(e.message));
});

test('the boxed call converts and checks each argument by its schema type', () => {
  const x = torch.ones([2, 2]);
  const add = op('aten::add.Tensor', ['self', 'other', 'alpha']);
  assert.throws(() => callOp(add, (x as any)._h, 'two'), { name: 'TypeError', message: "aten::add.Tensor: expected a Tensor for argument 'other' but received string" });
  assert.throws(() => callOp(add, (x as any)._h), { name: 'TypeError', message: "aten::add.Tensor: missing required argument 'other'" });
  assert.throws(() => callOp(add, (x as any)._h, (x as any)._h, 1, 2), { name: 'TypeError', message: 'aten::add.Tensor: takes 3 arguments but received 4' });
  const view = op('aten::view', ['self', 'size']);
  assert.throws(() => callOp(view, (x as any)._h, [4, 0.5]), { name: 'TypeError', message: "aten::view: expected an array of integers for argument 'size' but received number 0.5" });
  assert.throws(() => native.call(1e6), { name: 'TypeError', message: 'unknown operator id 1000000' });
  x.dispose();
});

test('defaults come from the schema; in-place results are the tensor JS already holds', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3]);
    assert.deepEqual(x.add(x).toArray(), [2, 4, 6]); // alpha defaults to 1
    const same = x.mul_(2);
    assert.equal(same, x);
    assert.deepEqual(x.toArray(), [2, 4, 6]);
    const { values, indices } = torch.tensor([[1, 5], [7, 3]]).max(1);
    assert.deepEqual(values.toArray(), [5, 7]);
    assert.deepEqual(indices.toArray(), [1, 0]);
    assert.equal(indices.dtype, 'int64');
  });
});

test('integral JS numbers are integer Scalars, others floating, as Python ints and floats', () => {
  torch.tidy(() => {
    const i = torch.tensor([7, 8], { dtype: 'int64' });
    assert.equal(i.add(1).dtype, 'int64');
    assert.equal(i.add(0.5).dtype, 'float32');
    assert.deepEqual(i.add(0.5).toArray(), [7.5, 8.5]);
    assert.equal(i.div(2).dtype, 'float32'); // true division, as in PyTorch
    assert.deepEqual(i.ge(8).toArray(), [false, true]);
  });
});
