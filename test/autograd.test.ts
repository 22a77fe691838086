// Autograd: gradients against central finite differences in float64, and the graph's controls.
import test from 'node:test';
import assert from 'node:assert/strict';

import * as torch from 'torchnode';
import { mulberry32 } from '../lib/mulberry32.js';
import { assertClose } from './helpers.js';

const F = torch.nn.functional;

interface Input {
  shape: number[];
  /** Values are drawn uniformly from [lo, hi). */
  lo?: number;
  hi?: number;
}

/**
 * Checks the gradients libtorch computes for `f` against central finite differences in float64.
 * The output is reduced to a scalar with fixed random weights, so every output element matters.
 */
function gradcheck(f: (...xs: torch.Tensor[]) => torch.Tensor, inputs: Input[], { seed = 1, eps = 1e-6, rtol = 1e-6, atol = 1e-8 } = {}): void {
  const rand = mulberry32(seed);
  const values = inputs.map(({ shape, lo = -1, hi = 1 }) =>
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rand()));
  const base = torch.memory().liveTensors;
  torch.tidy(() => {
    const leaves = values.map((v, k) => torch.tensor(v, { shape: inputs[k]!.shape, requiresGrad: true }));
    const out = f(...leaves);
    assert.equal(out.dtype, 'float64');
    assert.equal(out.requiresGrad, true);
    const weights = torch.tensor(Float64Array.from({ length: out.numel() }, () => 0.5 + rand()), { shape: out.shape });
    out.mul(weights).sum().backward();

    const objective = (vs: Float64Array[]): number => torch.noGrad(() => torch.tidy(() => {
      const ts = vs.map((v, k) => torch.tensor(v, { shape: inputs[k]!.shape }));
      return f(...ts).mul(weights).sum().item() as number;
    }));

    leaves.forEach((leaf, k) => {
      const analytic = leaf.grad!.toTypedArray() as Float64Array;
      const numeric = new Float64Array(analytic.length);
      for (let j = 0; j < numeric.length; j++) {
        const plus = values.map((v) => v.slice());
        const minus = values.map((v) => v.slice());
        plus[k]![j]! += eps;
        minus[k]![j]! -= eps;
        numeric[j] = (objective(plus) - objective(minus)) / (2 * eps);
      }
      const scale = Math.max(...numeric.map(Math.abs));
      assert.ok(scale > 1e-3, `input ${k}: gradient is all but zero, the check would prove nothing`);
      for (let j = 0; j < numeric.length; j++) {
        const err = Math.abs(analytic[j]! - numeric[j]!);
        assert.ok(err <= atol + rtol * Math.max(Math.abs(numeric[j]!), scale * 1e-2),
          `input ${k}[${j}]: analytic ${analytic[j]} vs numeric ${numeric[j]} (error ${err})`);
      }
    });
  });
  assert.equal(torch.memory().liveTensors, base, 'gradcheck leaked tensors');
}

test('gradcheck: elementwise mul, div, pow, exp, log, sigmoid, tanh', () => {
  gradcheck((a, b) => a.mul(b), [{ shape: [3, 4] }, { shape: [3, 4] }], { seed: 1 });
  gradcheck((a, b) => a.div(b), [{ shape: [3, 4] }, { shape: [4], lo: 0.5, hi: 2 }], { seed: 2 });
  gradcheck((a) => a.pow(3), [{ shape: [5] }], { seed: 3 });
  gradcheck((a, b) => a.pow(b), [{ shape: [2, 3], lo: 0.5, hi: 2 }, { shape: [2, 3], lo: -1.5, hi: 1.5 }], { seed: 4 });
  gradcheck((a) => a.exp(), [{ shape: [6] }], { seed: 5 });
  gradcheck((a) => a.log(), [{ shape: [6], lo: 0.2, hi: 3 }], { seed: 6 });
  gradcheck((a) => a.sigmoid(), [{ shape: [2, 3], lo: -3, hi: 3 }], { seed: 7 });
  gradcheck((a) => a.tanh(), [{ shape: [2, 3], lo: -2, hi: 2 }], { seed: 8 });
  gradcheck((a, b) => a.mul(a).add(b.exp(), { alpha: 0.5 }).div(b.sigmoid()), [{ shape: [4] }, { shape: [4] }], { seed: 9 });
});

test('gradcheck: matmul (matrix-matrix, batched, matrix-vector)', () => {
  gradcheck((a, b) => a.matmul(b), [{ shape: [3, 4] }, { shape: [4, 2] }], { seed: 10 });
  gradcheck((a, b) => a.matmul(b), [{ shape: [2, 3, 4] }, { shape: [4, 5] }], { seed: 11 });
  gradcheck((a, b) => torch.matmul(a, b), [{ shape: [3, 4] }, { shape: [4] }], { seed: 12 });
});

test('gradcheck: conv2d with bias, padding, stride and groups', () => {
  gradcheck((x, w, b) => F.conv2d(x, w, { bias: b, padding: 1 }), [{ shape: [2, 2, 5, 5] }, { shape: [3, 2, 3, 3] }, { shape: [3] }], { seed: 13 });
  gradcheck((x, w) => F.conv2d(x, w, { stride: 2, padding: [1, 0], groups: 2 }), [{ shape: [1, 4, 5, 6] }, { shape: [2, 2, 3, 3] }], { seed: 14 });
});

test('gradcheck: batchNorm in training mode', () => {
  gradcheck((x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }),
    [{ shape: [4, 3, 2, 2] }, { shape: [3], lo: 0.5, hi: 1.5 }, { shape: [3] }], { seed: 15 });
  // with running statistics (which do not enter the gradient in training mode)
  const runningMean = torch.zeros([3], { dtype: 'float64' });
  const runningVar = torch.ones([3], { dtype: 'float64' });
  try {
    gradcheck((x) => F.batchNorm(x, runningMean, runningVar, { training: true, momentum: 0.1 }), [{ shape: [5, 3] }], { seed: 16 });
    assert.equal(runningMean.requiresGrad, false);
  } finally {
    runningMean.dispose();
    runningVar.dispose();
  }
});

test('gradcheck: logSoftmax and crossEntropy with labelSmoothing', () => {
  gradcheck((x) => x.logSoftmax(1), [{ shape: [3, 5], lo: -2, hi: 2 }], { seed: 17 });
  gradcheck((x) => F.logSoftmax(x, 0), [{ shape: [4, 2], lo: -2, hi: 2 }], { seed: 18 });
  const target = torch.tensor([0, 3, 1, 4], { dtype: 'int64' });
  try {
    gradcheck((x) => F.crossEntropy(x, target, { labelSmoothing: 0.1 }), [{ shape: [4, 5], lo: -2, hi: 2 }], { seed: 19 });
    gradcheck((x) => F.crossEntropy(x, target, { labelSmoothing: 0.2, reduction: 'none' }), [{ shape: [4, 5], lo: -2, hi: 2 }], { seed: 20 });
    gradcheck((x) => F.crossEntropy(x, target, { reduction: 'sum' }), [{ shape: [4, 5], lo: -2, hi: 2 }], { seed: 21 });
  } finally {
    target.dispose();
  }
});

test('gradcheck: maxPool2d and adaptiveAvgPool2d', () => {
  gradcheck((x) => F.maxPool2d(x, 2), [{ shape: [1, 2, 4, 4] }], { seed: 22 });
  gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [{ shape: [2, 1, 5, 5] }], { seed: 23 });
  gradcheck((x) => F.adaptiveAvgPool2d(x, 1), [{ shape: [2, 3, 4, 4] }], { seed: 24 });
  gradcheck((x) => F.adaptiveAvgPool2d(x, [2, 3]), [{ shape: [1, 2, 5, 7] }], { seed: 25 });
});

test('gradcheck: a small conv net end to end', () => {
  const labels = torch.tensor([1, 0], { dtype: 'int64' });
  try {
    gradcheck((x, w, b, fc) => {
      const h = F.maxPool2d(F.conv2d(x, w, { bias: b, padding: 1 }).relu(), 2);
      const pooled = F.adaptiveAvgPool2d(h, 1).flatten(1);
      return F.crossEntropy(pooled.matmul(fc), labels, { labelSmoothing: 0.1 });
    }, [{ shape: [2, 2, 4, 4] }, { shape: [3, 2, 3, 3] }, { shape: [3] }, { shape: [3, 2] }], { seed: 26 });
  } finally {
    labels.dispose();
  }
});

test('backward with an explicit gradient for a non-scalar output', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x);
    y.backward(torch.tensor([1, 0.5, 2]));
    assert.deepEqual(x.grad!.toArray(), [2, 2, 12]);
    const m = torch.tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    m.exp().backward(torch.ones([2, 2], { dtype: 'float64' }));
    assertClose(m.grad!.toArray(), [[Math.E, Math.E ** 2], [Math.E ** 3, Math.E ** 4]], { rtol: 1e-15, atol: 0 });
    assert.throws(() => x.mul(2).backward(), { name: 'TorchError', message: 'grad can be implicitly created only for scalar outputs' });
    assert.throws(() => x.mul(2).backward(torch.ones([2])),
      { name: 'TorchError', message: 'invalid gradient at index 0 - got [2] but expected shape compatible with [3]' });
  });
});

test('gradients accumulate across backward calls and `t.grad = null` clears them', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    assert.equal(x.grad, undefined);
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
    // a leaf used twice in one graph gets both contributions
    x.grad = null;
    assert.equal(x.grad, undefined);
    x.mul(x).add(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [3, 5, 7]);
    // setting a gradient, then accumulating onto it
    // a gradient must match its tensor, as in PyTorch
    assert.throws(() => { x.grad = torch.tensor([1, 2]); }, { name: 'TypeError',
      message: 'Expected a gradient of shape [3], dtype float32 on cpu for grad but received shape [2], dtype float32 on cpu' });
    assert.throws(() => { x.grad = torch.tensor([1, 2, 3], { dtype: 'float64' }); }, { name: 'TypeError',
      message: 'Expected a gradient of shape [3], dtype float32 on cpu for grad but received shape [3], dtype float64 on cpu' });
    x.grad = torch.tensor([10, 10, 10]);
    x.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [11, 11, 11]);
    x.grad = undefined;
    assert.equal(x.grad, undefined);
    // each read of .grad is a new Tensor over the same data
    x.sum().backward();
    const g1 = x.grad!;
    const g2 = x.grad!;
    assert.notEqual(g1, g2);
    g1.mul_(4);
    assert.deepEqual(g2.toArray(), [4, 4, 4]);
  });
});

test('retainGraph allows a second backward through the same graph', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    assert.deepEqual(x.grad!.toArray(), [2, 4]);
    y.backward(null, { retainGraph: false });
    assert.deepEqual(x.grad!.toArray(), [4, 8]);
    assert.throws(() => y.backward(), {
      name: 'TorchError',
      message: 'Trying to backward through the graph a second time (or directly access saved tensors after they have already ' +
        'been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify ' +
        'retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after ' +
        'calling backward.',
    });
  });
});

test('createGraph makes the gradient itself differentiable', () => {
  torch.tidy(() => {
    const x = torch.tensor([2, -1], { dtype: 'float64', requiresGrad: true });
    x.pow(3).sum().backward(null, { createGraph: true });
    const g = x.grad!;
    assert.deepEqual(g.toArray(), [12, 3]);
    assert.equal(g.requiresGrad, true);
    // d/dx sum(3x^2) = 6x, accumulated onto the first gradient
    g.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [12 + 12, 3 - 6]);
    x.grad = null;
  });
});

test('torch.noGrad: results do not require grad, and the mode is restored, also when fn throws', () => {
  torch.tidy(() => {
    const x = torch.ones([2], { requiresGrad: true });
    assert.equal(torch.isGradEnabled(), true);
    const y = torch.noGrad(() => {
      assert.equal(torch.isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.isLeaf, true);
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(x.mul(2).requiresGrad, true);

    const boom = new Error('boom');
    assert.throws(() => torch.noGrad(() => { throw boom; }), (e: unknown) => e === boom);
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(() => torch.noGrad(() => x.matmul(torch.ones([3]))),
      { name: 'TorchError', message: 'inconsistent tensor size, expected tensor [2] and src [3] to have the same number of elements, but got 2 and 3 elements respectively' });
    assert.equal(torch.isGradEnabled(), true);

    // enableGrad inside noGrad, and noGrad restores a disabled mode too
    const z = torch.noGrad(() => torch.enableGrad(() => x.mul(3)));
    assert.equal(z.requiresGrad, true);
    torch.setGradEnabled(false);
    try {
      assert.equal(torch.noGrad(() => torch.isGradEnabled()), false);
      assert.equal(torch.isGradEnabled(), false);
      assert.equal(torch.enableGrad(() => torch.isGradEnabled()), true);
      assert.equal(torch.isGradEnabled(), false);
      assert.equal(x.mul(2).requiresGrad, false);
    } finally {
      torch.setGradEnabled(true);
    }
    assert.equal(torch.isGradEnabled(), true);
    // in-place updates of leaves are allowed under noGrad (an optimizer step)
    torch.noGrad(() => x.sub_(torch.full([2], 0.5)));
    assert.deepEqual(x.toArray(), [0.5, 0.5]);
    assert.equal(x.isLeaf, true);
    assert.equal(x.requiresGrad, true);
  });
});

test('detach cuts the graph but shares the data', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.isLeaf, true);
    assert.deepEqual(d.toArray(), [1, 2, 3]);
    // only the non-detached factor carries gradient
    x.mul(x.detach()).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [1, 2, 3]);
    // same storage: an in-place change of the detached tensor shows in the original
    d.mul_(10);
    assert.deepEqual(x.toArray(), [10, 20, 30]);
    const y = x.mul(2);
    const yd = torch.detach(y);
    assert.equal(yd.requiresGrad, false);
    assert.throws(() => yd.sum().backward(),
      { name: 'TorchError', message: 'element 0 of tensors does not require grad and does not have a grad_fn' });
  });
});

test('requiresGrad_ and the requiresGrad setter', () => {
  torch.tidy(() => {
    const t = torch.zeros([2]);
    assert.equal(t.requiresGrad, false);
    assert.equal(t.requiresGrad_(), t);
    assert.equal(t.requiresGrad, true);
    t.requiresGrad_(false);
    assert.equal(t.requiresGrad, false);
    t.requiresGrad = true;
    assert.equal(t.requiresGrad, true);
    t.requiresGrad = false;
    assert.equal(t.requiresGrad, false);
    assert.throws(() => t.requiresGrad_('yes' as never), { name: 'TypeError', message: "Expected a boolean for requiresGrad but received 'yes' of type string" });
    const w = torch.randn([3], { dtype: 'float64' }).requiresGrad_();
    w.mul(2).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [2, 2, 2]);
    assert.equal(torch.ones([1], { requiresGrad: true }).requiresGrad, true);
    assert.equal(torch.tensor([1.5], { dtype: 'float16', requiresGrad: true }).requiresGrad, true);
  });
});

test('isLeaf: tensors made by factories are leaves, results of tracked ops are not', () => {
  torch.tidy(() => {
    const x = torch.randn([2], { requiresGrad: true });
    const c = torch.ones([2]);
    assert.equal(x.isLeaf, true);
    assert.equal(c.isLeaf, true);
    const y = x.mul(c);
    assert.equal(y.isLeaf, false);
    assert.equal(y.requiresGrad, true);
    // ops on tensors that need no gradient make leaves, as in PyTorch
    assert.equal(c.mul(2).isLeaf, true);
    assert.equal(c.mul(2).requiresGrad, false);
    assert.equal(y.detach().isLeaf, true);
    assert.equal(x.clone().isLeaf, false);
  });
});
