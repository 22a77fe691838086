// torch.autocast: libtorch's own autocast policy, scoped to a synchronous function.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

const F = torch.nn.functional;

test('CPU autocast runs convolutions in bfloat16 and losses in float32; gradients stay float32', () => {
  torch.tidy(() => {
    const x = torch.randn([2, 3, 8, 8]);
    const w = torch.randn([4, 3, 3, 3], { requiresGrad: true });
    const labels = torch.tensor([1, 2], { dtype: 'int64' });
    const { conv, loss } = torch.autocast({ deviceType: 'cpu' }, () => {
      const conv = F.conv2d(x, w);
      return { conv, loss: F.crossEntropy(conv.mean([2, 3]), labels) };
    });
    assert.equal(conv.dtype, 'bfloat16');
    assert.equal(loss.dtype, 'float32');
    loss.backward();
    assert.equal(w.grad!.dtype, 'float32');
    // outside the scope, float32 again; the result is close to the float32 one
    const full = F.conv2d(x, w);
    assert.equal(full.dtype, 'float32');
    const diff = conv.float().sub(full).abs().max().item() as number;
    assert.ok(diff < 0.1 * (full.abs().max().item() as number), `bf16 conv differs by ${diff}`);
  });
});

test('nested scopes restore the outer state, and enabled: false turns autocast off inside', () => {
  torch.tidy(() => {
    const a = torch.randn([2, 2]);
    const dtypes = torch.autocast({ deviceType: 'cpu' }, () => {
      const inner = torch.autocast({ deviceType: 'cpu', enabled: false }, () => a.matmul(a).dtype);
      return [inner, a.matmul(a).dtype];
    });
    assert.deepEqual(dtypes, ['float32', 'bfloat16']);
    assert.equal(a.matmul(a).dtype, 'float32');
    // a throwing function restores the state too
    assert.throws(() => torch.autocast({ deviceType: 'cpu' }, () => { throw new Error('boom'); }), { message: 'boom' });
    assert.equal(a.matmul(a).dtype, 'float32');
  });
});

test('autocast options are validated', () => {
  assert.throws(() => torch.autocast({ deviceType: 'tpu' } as never, () => 0),
    { name: 'TypeError', message: "Expected 'cuda' or 'cpu' for deviceType but received 'tpu' of type string" });
  assert.throws(() => torch.autocast({ deviceType: 'cpu', dtype: 'float64' } as never, () => 0),
    { name: 'TypeError', message: "Expected 'bfloat16' or 'float16' for dtype but received 'float64' of type string" });
  assert.throws(() => torch.autocast({ deviceType: 'cpu' }, (async () => 0) as never),
    { name: 'TypeError', message: 'torch.autocast(options, fn) needs a synchronous function: autocast cannot follow an await' });
});
