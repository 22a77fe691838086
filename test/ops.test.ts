// torchnode's ops against values computed by PyTorch (test/fixtures/ops.json, made by
// scripts/references/make_references.py). Inputs are rebuilt with torch.tensor(data, {dtype});
// float32 results must agree within rtol 1e-5 / atol 1e-6, integer and bool results exactly.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';
import { build, expectRef, type Ref, type Tolerance } from './reference.js';
import { toleranceFor } from './versions.js';

const F = torch.nn.functional;

interface Case {
  inputs: Record<string, any>;
  args: Record<string, any>;
  expected: Record<string, any>;
}
const fixture = loadFixture<{ torch: string; cases: Record<string, Case> }>('ops.json');
const used = new Set<string>();
const liveAtStart = torch.memory().liveTensors;

type T = torch.Tensor;
type Body = (x: Record<string, any>, args: Record<string, any>, check: Check) => void;
type Check = (key: string, actual: T | T[], tol?: Tolerance) => void;

/** One test per fixture case, in a tidy scope; `check(key, tensor)` compares with expected[key]. */
function cases(name: string, body: Body): void {
  test(name, () => {
    const c = fixture.cases[name];
    assert.ok(c, `fixture ops.json has no case '${name}'`);
    used.add(name);
    const checked = new Set<string>();
    torch.tidy(() => {
      const x = build(c.inputs);
      const check: Check = (key, actual, tol) => {
        const ref = c.expected[key] as Ref | Ref[] | undefined;
        assert.ok(ref, `case ${name} has no expected '${key}'`);
        if (Array.isArray(ref)) {
          assert.ok(Array.isArray(actual) && actual.length === ref.length, `${name}.${key}: ${ref.length} tensors`);
          ref.forEach((r, i) => expectRef((actual as T[])[i]!, r, `${name}.${key}[${i}]`, tol));
        } else {
          assert.ok(!Array.isArray(actual), `${name}.${key}: one tensor`);
          expectRef(actual, ref, `${name}.${key}`, tol);
        }
        checked.add(key);
      };
      body(x, c.args, check);
    });
    assert.deepEqual([...checked].sort(), Object.keys(c.expected).sort(), `${name}: every expected value is checked`);
  });
}

/** An in-place op must return its receiver and change it. */
function inPlace(check: Check, self: T, result: T): void {
  assert.equal(result, self, 'in-place ops return the tensor they modify');
  check('out', self);
}

// --- arithmetic -------------------------------------------------------------------------------

cases('add', (x, _, check) => check('out', x.a.add(x.b)));
cases('add_broadcast', (x, _, check) => check('out', torch.add(x.a, x.b)));
cases('add_alpha', (x, a, check) => check('out', x.a.add(x.b, { alpha: a.alpha })));
cases('add_scalar', (x, a, check) => check('out', x.a.add(a.other)));
cases('add_scalar_alpha', (x, a, check) => check('out', x.a.add(a.other, { alpha: a.alpha })));
cases('add_int64_scalar', (x, a, check) => check('out', x.a.add(a.other)));
cases('add_uint8_wraps', (x, _, check) => check('out', x.a.add(x.b)));
cases('add_int64_float32_promotes', (x, _, check) => check('out', x.a.add(x.b)));
cases('sub', (x, _, check) => check('out', x.a.sub(x.b)));
cases('sub_alpha', (x, a, check) => check('out', torch.sub(x.a, x.b, { alpha: a.alpha })));
cases('sub_scalar', (x, a, check) => check('out', x.a.sub(a.other)));
cases('mul', (x, _, check) => check('out', x.a.mul(x.b)));
cases('mul_scalar', (x, a, check) => check('out', torch.mul(x.a, a.other)));
cases('mul_int64_float_scalar_promotes', (x, a, check) => check('out', x.a.mul(a.other)));
cases('div', (x, _, check) => check('out', x.a.div(x.b)));
cases('div_scalar', (x, a, check) => check('out', x.a.div(a.other)));
cases('div_int64_true_division', (x, _, check) => check('out', x.a.div(x.b)));

// --- in place -----------------------------------------------------------------------------------

cases('add_', (x, a, check) => inPlace(check, x.a, x.a.add_(x.b, { alpha: a.alpha })));
cases('add_scalar_', (x, a, check) => inPlace(check, x.a, x.a.add_(a.other)));
cases('sub_', (x, a, check) => inPlace(check, x.a, x.a.sub_(x.b, { alpha: a.alpha })));
cases('mul_', (x, _, check) => inPlace(check, x.a, x.a.mul_(x.b)));
cases('mul_scalar_', (x, a, check) => inPlace(check, x.a, x.a.mul_(a.other)));
cases('div_', (x, _, check) => inPlace(check, x.a, x.a.div_(x.b)));
cases('addcmul_', (x, a, check) => inPlace(check, x.a, x.a.addcmul_(x.t1, x.t2, { value: a.value })));
cases('addcmul_default_value', (x, _, check) => inPlace(check, x.a, x.a.addcmul_(x.t1, x.t2)));
cases('addcdiv_', (x, a, check) => inPlace(check, x.a, x.a.addcdiv_(x.t1, x.t2, { value: a.value })));
cases('lerp_scalar', (x, a, check) => inPlace(check, x.a, x.a.lerp_(x.end, a.weight)));
cases('lerp_tensor', (x, _, check) => inPlace(check, x.a, x.a.lerp_(x.end, x.weight)));
cases('zero_', (x, _, check) => inPlace(check, x.a, x.a.zero_()));
cases('fill_', (x, a, check) => inPlace(check, x.a, x.a.fill_(a.value)));
cases('copy_float64_into_float32', (x, _, check) => inPlace(check, x.a, x.a.copy_(x.src)));
cases('copy_broadcast', (x, _, check) => inPlace(check, x.a, x.a.copy_(x.src)));
cases('clamp_', (x, a, check) => inPlace(check, x.a, x.a.clamp_(a.min, a.max)));
cases('relu_', (x, _, check) => inPlace(check, x.a, x.a.relu_()));
cases('sqrt_', (x, _, check) => inPlace(check, x.a, x.a.sqrt_()));

cases('foreach', (x, a, check) => {
  // each op on fresh copies of the params; expected[key] is the list of results
  const run = (key: string, fn: (ps: T[]) => T[] | void) => {
    const ps = (x.params as T[]).map((p) => p.clone());
    check(key, fn(ps) ?? ps);
  };
  run('add', (ps) => torch.foreach.add_(ps, x.grads, { alpha: a.alpha }));
  run('addScalar', (ps) => torch.foreach.add_(ps, a.scalar));
  run('mul', (ps) => torch.foreach.mul_(ps, x.grads));
  run('mulScalar', (ps) => torch.foreach.mul_(ps, a.mulScalar));
  run('div', (ps) => torch.foreach.div_(ps, x.positive));
  run('addcmul', (ps) => torch.foreach.addcmul_(ps, x.grads, x.grads, { value: a.addcmulValue }));
  run('addcdiv', (ps) => torch.foreach.addcdiv_(ps, x.grads, x.positive, { value: a.addcdivValue }));
  run('sqrt', () => torch.foreach.sqrt(x.positive));
});

cases('inplace_through_views', (x, _, check) => {
  // b.narrow(1, 1, 2).mul_(3); b.transpose(0, 1).narrow(0, 3, 1).add_(1); b[1].zero_() in PyTorch
  const a: T = x.a;
  a.narrow(1, 1, 2).mul_(3);
  a.transpose(0, 1).narrow(0, 3, 1).add_(1);
  a.narrow(0, 1, 1).squeeze(0).zero_();
  check('out', a);
});

// --- float64, bfloat16, float16 -------------------------------------------------------------------

cases('float64_ops', (x, _, check) => {
  const tight: Tolerance = { rtol: 1e-12, atol: 1e-14 };
  check('matmul', x.a.matmul(x.b), tight);
  check('conv2d', F.conv2d(x.x, x.w, { padding: 1 }), tight);
  check('logSoftmax', x.a.logSoftmax(1), tight);
  check('sum', x.a.sum(1), tight);
  check('mulScalar', x.a.mul(0.1), tight);
});
cases('half_arithmetic', (x, _, check) => {
  const exact: Tolerance = { exact: true };
  check('bf16Add', x.a.add(x.b), exact);
  check('bf16Mul', x.a.mul(x.b), exact);
  check('bf16MulScalar', x.a.mul(0.3), toleranceFor('half_arithmetic.bf16MulScalar', fixture.torch, exact));
  check('f16Add', x.h.add(x.k), exact);
  check('f16Mul', x.h.mul(x.k), exact);
});
cases('cat_promotes', (x, _, check) => check('out', torch.cat([x.a, x.b], 0)));

// --- linear algebra, convolution, normalisation -------------------------------------------------

for (const name of ['matmul_2d', 'matmul_batched_broadcast', 'matmul_bmm', 'matmul_vector_matrix', 'matmul_dot']) {
  cases(name, (x, _, check) => check('out', x.a.matmul(x.b)));
}
cases('linear', (x, _, check) => check('out', F.linear(x.x, x.w, x.b)));
cases('linear_no_bias_3d', (x, _, check) => check('out', F.linear(x.x, x.w)));

for (const name of ['conv2d_basic', 'conv2d_stride_padding', 'conv2d_groups', 'conv2d_depthwise', 'conv2d_pairs_no_bias',
  'conv2d_dilation', 'conv2d_1x1']) {
  cases(name, (x, a, check) => {
    check('out', F.conv2d(x.x, x.w, { bias: x.b ?? null, ...a }));
    // the same values from a channels-last input
    const cl = x.x.contiguous({ memoryFormat: 'channelsLast' });
    assert.ok(cl.isContiguous({ memoryFormat: 'channelsLast' }));
    check('out', F.conv2d(cl, x.w, { bias: x.b ?? null, ...a }));
  });
}

for (const name of ['batch_norm_train', 'batch_norm_train_momentum_eps', 'batch_norm_train_no_affine',
  'batch_norm_train_2d_input', 'batch_norm_eval', 'batch_norm_eval_2d_input']) {
  cases(name, (x, a, check) => {
    const out = F.batchNorm(x.x, x.runningMean, x.runningVar,
      { weight: x.weight, bias: x.bias, training: a.training, momentum: a.momentum, eps: a.eps });
    check('out', out);
    // updated in place in training, untouched in evaluation
    check('runningMean', x.runningMean);
    check('runningVar', x.runningVar);
  });
}

cases('batch_norm_train_no_running_stats', (x, a, check) => {
  check('out', F.batchNorm(x.x, null, null, { weight: x.weight, bias: x.bias, training: true, eps: a.eps }));
});
cases('batch_norm_eval_after_train', (x, a, check) => {
  const rm = torch.zeros([3]);
  const rv = torch.ones([3]);
  F.batchNorm(x.x1, rm, rv, { training: true, momentum: a.momentum });
  check('out', F.batchNorm(x.x2, rm, rv));
  check('runningMean', rm);
  check('runningVar', rv);
});

// --- activations, pooling, elementwise math ------------------------------------------------------

cases('relu', (x, _, check) => {
  check('out', F.relu(x.x));
  check('out', x.x.relu());
});
for (const name of ['max_pool2d_2', 'max_pool2d_3_stride2_pad1', 'max_pool2d_ceil_mode', 'max_pool2d_pairs',
  'max_pool2d_dilation']) {
  cases(name, (x, a, check) => {
    const { kernelSize, ...options } = a;
    check('out', F.maxPool2d(x.x, kernelSize, options));
  });
}
cases('adaptive_avg_pool2d_1', (x, a, check) => check('out', F.adaptiveAvgPool2d(x.x, a.outputSize)));
cases('adaptive_avg_pool2d_uneven', (x, a, check) => check('out', F.adaptiveAvgPool2d(x.x, a.outputSize)));
cases('unary_math', (x, _, check) => {
  check('exp', x.x.exp());
  check('log', x.p.log());
  check('sqrt', torch.sqrt(x.p));
  check('rsqrt', x.p.rsqrt());
  check('neg', x.x.neg());
  check('abs', x.x.abs());
  check('sigmoid', x.x.sigmoid());
  check('tanh', x.x.tanh());
});
cases('maximum_minimum', (x, _, check) => {
  check('maximum', x.a.maximum(x.b));
  check('minimum', torch.minimum(x.a, x.b));
});
cases('clamp', (x, a, check) => {
  check('both', x.x.clamp(a.min, a.max));
  check('minOnly', x.x.clamp(a.min));
  check('maxOnly', x.x.clamp(null, a.max));
});
cases('pow', (x, _, check) => {
  check('square', x.x.pow(2));
  check('cube', x.x.pow(3));
  check('sqrt', x.p.pow(0.5));
  check('negative', x.p.pow(-1.5));
  check('tensor', x.p.pow(x.e));
});
cases('pow_int64', (x, a, check) => check('out', x.x.pow(a.exponent)));
cases('softmax', (x, _, check) => {
  check('softmax1', x.x.softmax(1));
  check('softmaxLast', F.softmax(x.x, -1));
  check('logSoftmax1', x.x.logSoftmax(1));
  check('logSoftmaxLast', x.x.logSoftmax(-1));
  check('logSoftmax0', F.logSoftmax(x.x, 0));
});

// --- shapes, joining, indexing ------------------------------------------------------------------

cases('shapes', (x, _, check) => {
  const t: T = x.x;
  check('flatten', t.flatten());
  check('flatten1', t.flatten(1));
  check('flatten01', torch.flatten(t, 0, 1));
  check('view', t.view(-1, 6));
  check('view3', t.view([4, 3, 2]));
  check('reshape', t.reshape(3, 8));
  check('permute', t.permute(2, 0, 1));
  check('permuteReshape', t.permute([2, 0, 1]).reshape(4, 6));
  check('transpose', t.transpose(0, 2));
  check('transposeNeg', t.transpose(-1, -2));
  check('unsqueeze', t.unsqueeze(1));
  check('narrow', t.narrow(2, 1, 2));
  check('expand', t.narrow(1, 0, 1).expand(2, 3, 4));
  const c = t.permute(1, 2, 0).contiguous();
  assert.ok(c.isContiguous());
  check('contiguousOfPermute', c);
});
cases('squeeze', (x, _, check) => {
  check('all', x.x.squeeze());
  check('dim1', x.x.squeeze(1));
  check('dim0', x.x.squeeze(0));
});
cases('cat_stack', (x, _, check) => {
  check('cat0', torch.cat([x.a, x.b, x.d], 0));
  check('cat1', torch.cat([x.a, x.b], 1));
  check('catNeg', torch.cat([x.a, x.b], -1));
  check('stack0', torch.stack([x.a, x.b]));
  check('stack2', torch.stack([x.a, x.b], 2));
  check('stackNeg', torch.stack([x.a, x.b], -1));
});
cases('pad', (x, a, check) => {
  check('last', F.pad(x.x, a.last));
  check('twoValue', F.pad(x.x, a.two, a.value));
  check('crop', F.pad(x.x, a.crop));
});
cases('flip', (x, _, check) => {
  check('flip0', x.x.flip(0));
  check('flip12', x.x.flip([1, 2]));
  check('flipNeg', torch.flip(x.x, [-1]));
});
cases('gather', (x, _, check) => {
  check('dim1', x.x.gather(1, x.idx1));
  check('dim0', torch.gather(x.x, 0, x.idx0));
});
cases('index_select', (x, _, check) => {
  check('dim0', x.x.indexSelect(0, x.i0));
  check('dim1', torch.indexSelect(x.x, 1, x.i1));
});
cases('index_advanced', (x, _, check) => {
  check('rowsCols', x.x.index([x.rows, x.cols]));
  check('rowsOnly', x.x.index([x.rows]));
  check('colsOnly', x.x.index([null, x.cols]));
  check('mask', x.x.index([x.mask]));
});
cases('negative_indices_and_dims', (x, _, check) => {
  check('index', x.x.index([x.neg]));
  check('indexSelect', x.x.indexSelect(-1, torch.tensor([4, 0], { dtype: 'int64' })));
  check('gather', x.x.gather(-1, x.gidx));
  check('flatten', x.x.view(2, 2, 5).flatten(-2));
  check('squeeze', x.x.unsqueeze(-1).squeeze(-1));
  check('sum', x.x.sum([-1, -2]));
  check('cat', torch.cat([x.x, x.x], -2));
});
cases('where', (x, a, check) => {
  check('tensor', torch.where(x.cond, x.x, x.y));
  check('scalar', torch.where(x.cond, x.x, a.scalar));
});

// --- reductions, comparisons ------------------------------------------------------------------

cases('reductions', (x, _, check) => {
  const t: T = x.x;
  check('sum', t.sum());
  check('sum1', t.sum(1));
  check('sum02Keep', t.sum([0, 2], true));
  check('sumNeg', torch.sum(t, -1));
  check('mean', t.mean());
  check('mean2', t.mean(2));
  check('mean12Keep', t.mean([1, 2], true));
  check('max', t.max());
  check('min', t.min());
  const m1 = t.max(1);
  check('max1Values', m1.values);
  check('max1Indices', m1.indices);
  const m2 = t.max(2, true);
  check('max2KeepValues', m2.values);
  check('max2KeepIndices', m2.indices);
  const n0 = t.min(0);
  check('min0Values', n0.values);
  check('min0Indices', n0.indices);
  check('argmax', t.argmax());
  check('argmax1', t.argmax(1));
  check('argmax2Keep', t.argmax(2, true));
  check('argmin', t.argmin());
  check('argmin0', torch.argmin(t, 0));
});
cases('reductions_ties', (x, _, check) => {
  check('argmax1', x.x.argmax(1));
  check('argmin0', x.x.argmin(0));
  check('argmax', x.x.argmax());
  const mx = x.x.max(1);
  check('maxValues', mx.values);
  check('maxIndices', mx.indices);
  const mn = x.x.min(0);
  check('minValues', mn.values);
  check('minIndices', mn.indices);
});
cases('reductions_int64', (x, _, check) => {
  check('sum', x.x.sum());
  check('sum0', x.x.sum(0));
  check('max', x.x.max());
  check('argmax1', x.x.argmax(1));
  assert.equal(x.x.sum().item(), fixture.cases.reductions_int64!.expected.sum.data);
});
cases('comparisons', (x, a, check) => {
  for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
    check(op, x.a[op](x.b));
    check(`${op}S`, x.a[op](a.scalar));
  }
});
cases('comparisons_fractional_scalar', (x, a, check) => {
  check('lt', x.a.lt(a.scalar));
  check('ge', torch.ge(x.a, a.scalar));
});

// --- losses ---------------------------------------------------------------------------------------

cases('cross_entropy', (x, a, check) => {
  const ls = a.labelSmoothing;
  check('mean', F.crossEntropy(x.logits, x.target));
  check('smoothed', F.crossEntropy(x.logits, x.target, { labelSmoothing: ls }));
  check('sum', F.crossEntropy(x.logits, x.target, { reduction: 'sum' }));
  check('none', F.crossEntropy(x.logits, x.target, { reduction: 'none' }));
  check('weighted', F.crossEntropy(x.logits, x.target, { weight: x.weight }));
  check('weightedSmoothed', F.crossEntropy(x.logits, x.target, { weight: x.weight, labelSmoothing: ls }));
  check('ignored', F.crossEntropy(x.logits, x.targetIgnore));
  check('ignoredSmoothed', F.crossEntropy(x.logits, x.targetIgnore, { labelSmoothing: ls }));
  check('probabilities', F.crossEntropy(x.logits, x.probs));
  check('ignoreIndex3', F.crossEntropy(x.logits, x.target, { ignoreIndex: 3 }));
  check('ignoreIndex3Smoothed', F.crossEntropy(x.logits, x.target, { ignoreIndex: 3, labelSmoothing: ls }));
  for (const [key, options] of [['grad', {}], ['gradSmoothed', { labelSmoothing: ls }]] as const) {
    const logits: T = x.logits.detach().requiresGrad_();
    F.crossEntropy(logits, x.target, options).backward();
    check(key, logits.grad!);
  }
});
cases('nll_mse', (x, _, check) => {
  check('nll', F.nllLoss(x.logp, x.target));
  check('nllSum', F.nllLoss(x.logp, x.target, { reduction: 'sum' }));
  check('mse', F.mseLoss(x.pred, x.goal));
  check('mseNone', F.mseLoss(x.pred, x.goal, { reduction: 'none' }));
});

// --- dtype conversions (exact) --------------------------------------------------------------------

const EXACT: Tolerance = { exact: true };
cases('tensor_from_doubles', (x, _, check) => {
  const values = (x.values as T).toArray() as number[];
  for (const dtype of ['float32', 'float64', 'bfloat16', 'float16', 'int64', 'int32'] as const) {
    check(dtype, torch.tensor(values, { dtype }), EXACT);
  }
});
cases('float32_to_int', (x, _, check) => {
  check('int64', x.x.long());
  check('int32', x.x.int());
  check('int16', x.x.to('int16'));
  check('int8', x.x.to({ dtype: 'int8' }));
  check('bigInt64', x.big.long());
  check('bigInt32', x.big.to('int32'));
});
cases('float32_to_bfloat16', (x, _, check) => {
  check('bfloat16', x.x.bfloat16(), EXACT);
  check('roundTrip', x.x.to('bfloat16').float(), EXACT);
});
cases('float32_to_float16', (x, _, check) => {
  check('float16', x.x.half(), EXACT);
  check('roundTrip', x.x.to('float16').to('float32'), EXACT);
});
cases('float_to_uint8', (x, _, check) => check('out', x.x.to('uint8')));
cases('int64_to_uint8_wraps', (x, _, check) => check('out', x.x.to('uint8')));
cases('uint8_to_float_and_int64', (x, _, check) => {
  check('float32', x.x.float(), EXACT);
  check('int64', x.x.long());
  check('bool', x.x.bool());
});
cases('bool_conversions', (x, _, check) => {
  check('floatToBool', x.x.bool());
  check('boolToFloat', x.b.float(), EXACT);
  check('boolToInt64', x.b.long());
  check('int64ToBool', x.i.bool());
  check('boolSum', x.b.sum());
});
cases('float64_to_float32', (x, _, check) => {
  check('out', x.x.float(), EXACT);
  check('back', x.x.float().double(), EXACT);
});
cases('int64_to_float32', (x, _, check) => {
  check('out', x.x.float(), EXACT);
  check('float64', x.x.double(), EXACT);
});

// --- gradients of single ops: loss = sum(op(x) * g) -------------------------------------------

const GRAD_OPS: Record<string, (x: T, inputs: Record<string, T>) => T> = {
  maxPool2d: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
  adaptiveAvgPool2d: (x) => F.adaptiveAvgPool2d(x, [2, 3]),
  logSoftmax: (x) => x.logSoftmax(1),
  softmax: (x) => x.softmax(0),
  pad: (x) => F.pad(x, [1, 2, -1, 1], 0.5),
  gather: (x, i) => x.gather(1, i.index!),
  indexSelect: (x, i) => x.indexSelect(0, i.index!),
  permuteReshape: (x) => x.permute(2, 0, 1).reshape(4, 6),
  clamp: (x) => x.clamp(-0.5, 0.5),
  pow: (x) => x.pow(1.5),
  relu: (x) => x.relu(),
  mean: (x) => x.mean(1, true),
  flip: (x) => x.flip([1]),
};

test('grads: gradients of single ops match PyTorch', () => {
  const c = fixture.cases.grads!;
  used.add('grads');
  assert.deepEqual(Object.keys(GRAD_OPS).sort(), Object.keys(c.expected).sort(), 'every op in the fixture has a test');
  for (const [name, fn] of Object.entries(GRAD_OPS)) {
    torch.tidy(() => {
      const inputs = build(c.inputs[name]) as Record<string, T>;
      const x = inputs.x!.requiresGrad_();
      const y = fn(x, inputs);
      y.mul(inputs.g!).sum().backward();
      expectRef(y, c.expected[name].out, `grads.${name}.out`);
      expectRef(x.grad!, c.expected[name].grad, `grads.${name}.grad`);
    });
  }
});

cases('grads_linear_conv', (x, a, check) => {
  for (const k of ['x', 'w', 'b', 'cx', 'cw', 'cb']) x[k].requiresGrad_();
  const y = F.linear(x.x, x.w, x.b);
  const z = F.conv2d(x.cx, x.cw, { bias: x.cb, stride: a.stride, padding: a.padding });
  y.mul(x.gy).sum().add(z.mul(x.gz).sum()).backward();
  for (const k of ['x', 'w', 'b', 'cx', 'cw', 'cb']) check(k, x[k].grad);
});

// --- random streams: repeatable under manualSeed (values are not compared with PyTorch's) ----------

test('manualSeed makes torchnode draws repeatable', () => {
  torch.tidy(() => {
    const draw = () => [
      torch.randn([6]), torch.rand([2, 3]), torch.randint(0, 100, [5]), torch.randperm(10),
      torch.empty([4]).normal_(1, 2), torch.empty([4]).uniform_(-1, 1), F.dropout(torch.ones([8]), 0.5, true),
    ].map((t) => t.toArray());
    torch.manualSeed(1234);
    const first = draw();
    torch.manualSeed(1234);
    const second = draw();
    assert.deepEqual(second, first);
    torch.manualSeed(4321);
    assert.notDeepEqual(draw(), first);
    const perm = (first[3] as number[]).slice().sort((p, q) => p - q);
    assert.deepEqual(perm, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

test('every case of ops.json was run', () => {
  const missing = Object.keys(fixture.cases).filter((k) => !used.has(k));
  assert.deepEqual(missing, []);
});

test('the op tests leave no live tensors behind', () => {
  assert.equal(torch.memory().liveTensors, liveAtStart);
});
