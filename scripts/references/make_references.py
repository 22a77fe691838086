#!/usr/bin/env python3
"""Writes the PyTorch-made reference fixtures that torchnode's tests compare against.

    /usr/bin/python3 scripts/references/make_references.py test/fixtures

Every input is drawn from a torch.Generator seeded from the case's name, so the files are
reproducible and adding a case leaves the others unchanged. Tensors are written as
{"dtype", "shape", "data"}: dtype is torchnode's name for it, data is the nested list of
values (floating tensors through .double().tolist(), so every float32, float16 and
bfloat16 value is written exactly; integers as integers; bool as true/false). Arguments
that the test passes on to torchnode (alpha, dims, padding ...) are in "args", so both
sides use the same ones.

Random streams are not compared: libtorch's generators are only checked by the tests for
repeatability under torch.manualSeed, not against PyTorch's draws.

Files written:
  ops.json     one entry per op case: {"inputs", "args", "expected"}
  parity.json  conv2d + batch_norm(training) + relu + pooling + linear + cross_entropy:
               forward, backward, running statistics, and a few SGD steps
"""
import json
import os
import sys
import zlib

import torch
import torch.nn.functional as F

DTYPE_NAMES = {
    torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16', torch.bfloat16: 'bfloat16',
    torch.int64: 'int64', torch.int32: 'int32', torch.int16: 'int16', torch.int8: 'int8', torch.uint8: 'uint8',
    torch.bool: 'bool',
}
FLOATING = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def enc(t):
    """A tensor as a JSON-ready reference."""
    t = t.detach()
    if t.dtype in FLOATING:
        data = t.double().tolist()
    else:
        data = t.tolist()
    out = {'dtype': DTYPE_NAMES[t.dtype], 'shape': list(t.shape), 'data': data}
    if t.dtype in (torch.float16, torch.bfloat16):
        # the raw 16-bit patterns, as toTypedArray() returns them
        out['bits'] = (t.contiguous().view(torch.int16).to(torch.int32) & 0xFFFF).tolist()
    return out


def enc_tree(v):
    if isinstance(v, torch.Tensor):
        return enc(v)
    if isinstance(v, dict):
        return {k: enc_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc_tree(x) for x in v]
    return v


class Cases:
    """Collects cases; `gen(name)` gives the seeded generator for one case."""

    def __init__(self):
        self.cases = {}
        self.g = None

    def start(self, name):
        if name in self.cases:
            raise ValueError(f'duplicate case {name}')
        self.g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        return self

    def randn(self, *shape, dtype=torch.float32):
        return torch.randn(*shape, generator=self.g, dtype=torch.float64).to(dtype)

    def rand(self, *shape, dtype=torch.float32):
        return torch.rand(*shape, generator=self.g, dtype=torch.float64).to(dtype)

    def randint(self, low, high, shape, dtype=torch.int64):
        return torch.randint(low, high, shape, generator=self.g).to(dtype)

    def away_from_zero(self, *shape):
        """Values with |v| in [0.5, 1.5): safe denominators."""
        sign = torch.where(self.rand(*shape) < 0.5, -1.0, 1.0)
        return (sign * (0.5 + self.rand(*shape))).float()

    def positive(self, *shape, low=0.1, high=3.0):
        return (low + (high - low) * self.rand(*shape)).float()

    def add(self, name, inputs, args, expected):
        self.cases[name] = {'inputs': enc_tree(inputs), 'args': args, 'expected': enc_tree(expected)}


def arithmetic(C):
    c = C.start('add')
    a, b = c.randn(3, 4), c.randn(3, 4)
    c.add('add', {'a': a, 'b': b}, {}, {'out': a + b})
    c = C.start('add_broadcast')
    a, b = c.randn(2, 3, 4), c.randn(4)
    c.add('add_broadcast', {'a': a, 'b': b}, {}, {'out': a + b})
    c = C.start('add_alpha')
    a, b = c.randn(3, 4), c.randn(3, 4)
    c.add('add_alpha', {'a': a, 'b': b}, {'alpha': 0.37}, {'out': torch.add(a, b, alpha=0.37)})
    c = C.start('add_scalar')
    a = c.randn(3, 4)
    c.add('add_scalar', {'a': a}, {'other': 2.5}, {'out': a + 2.5})
    c = C.start('add_scalar_alpha')
    a = c.randn(3, 4)
    c.add('add_scalar_alpha', {'a': a}, {'other': 1.25, 'alpha': -3}, {'out': torch.add(a, 1.25, alpha=-3)})
    c = C.start('add_int64_scalar')
    a = c.randint(-50, 50, (5,))
    c.add('add_int64_scalar', {'a': a}, {'other': 7}, {'out': a + 7})
    c = C.start('add_uint8_wraps')
    a, b = torch.tensor([200, 100, 255, 0, 128], dtype=torch.uint8), torch.tensor([100, 200, 1, 0, 128], dtype=torch.uint8)
    c.add('add_uint8_wraps', {'a': a, 'b': b}, {}, {'out': a + b})
    c = C.start('add_int64_float32_promotes')
    a, b = c.randint(-5, 5, (4,)), c.randn(4)
    c.add('add_int64_float32_promotes', {'a': a, 'b': b}, {}, {'out': a + b})

    c = C.start('sub')
    a, b = c.randn(3, 4), c.randn(3, 4)
    c.add('sub', {'a': a, 'b': b}, {}, {'out': a - b})
    c = C.start('sub_alpha')
    a, b = c.randn(3, 4), c.randn(4)
    c.add('sub_alpha', {'a': a, 'b': b}, {'alpha': 2.5}, {'out': torch.sub(a, b, alpha=2.5)})
    c = C.start('sub_scalar')
    a = c.randn(3, 4)
    c.add('sub_scalar', {'a': a}, {'other': 0.75}, {'out': a - 0.75})

    c = C.start('mul')
    a, b = c.randn(3, 4), c.randn(3, 1)
    c.add('mul', {'a': a, 'b': b}, {}, {'out': a * b})
    c = C.start('mul_scalar')
    a = c.randn(3, 4)
    c.add('mul_scalar', {'a': a}, {'other': -1.5}, {'out': a * -1.5})
    c = C.start('mul_int64_float_scalar_promotes')
    a = c.randint(-9, 9, (6,))
    c.add('mul_int64_float_scalar_promotes', {'a': a}, {'other': 0.5}, {'out': a * 0.5})

    c = C.start('div')
    a, b = c.randn(3, 4), c.away_from_zero(3, 4)
    c.add('div', {'a': a, 'b': b}, {}, {'out': a / b})
    c = C.start('div_scalar')
    a = c.randn(3, 4)
    c.add('div_scalar', {'a': a}, {'other': 3}, {'out': a / 3})
    c = C.start('div_int64_true_division')
    a, b = c.randint(-20, 20, (6,)), torch.tensor([3, -4, 7, 2, -3, 5])
    c.add('div_int64_true_division', {'a': a, 'b': b}, {}, {'out': a / b})


def in_place(C):
    c = C.start('add_')
    a, b = c.randn(3, 4), c.randn(3, 4)
    c.add('add_', {'a': a, 'b': b}, {'alpha': -0.3}, {'out': a.clone().add_(b, alpha=-0.3)})
    c = C.start('add_scalar_')
    a = c.randn(3, 4)
    c.add('add_scalar_', {'a': a}, {'other': 0.125}, {'out': a.clone().add_(0.125)})
    c = C.start('sub_')
    a, b = c.randn(3, 4), c.randn(4)
    c.add('sub_', {'a': a, 'b': b}, {'alpha': 2}, {'out': a.clone().sub_(b, alpha=2)})
    c = C.start('mul_')
    a, b = c.randn(3, 4), c.randn(3, 4)
    c.add('mul_', {'a': a, 'b': b}, {}, {'out': a.clone().mul_(b)})
    c = C.start('mul_scalar_')
    a = c.randn(3, 4)
    c.add('mul_scalar_', {'a': a}, {'other': 0.9}, {'out': a.clone().mul_(0.9)})
    c = C.start('div_')
    a, b = c.randn(3, 4), c.away_from_zero(3, 4)
    c.add('div_', {'a': a, 'b': b}, {}, {'out': a.clone().div_(b)})
    c = C.start('addcmul_')
    a, t1, t2 = c.randn(3, 4), c.randn(3, 4), c.randn(3, 4)
    c.add('addcmul_', {'a': a, 't1': t1, 't2': t2}, {'value': 0.3}, {'out': a.clone().addcmul_(t1, t2, value=0.3)})
    c = C.start('addcmul_default_value')
    a, t1, t2 = c.randn(3, 4), c.randn(3, 4), c.randn(4)
    c.add('addcmul_default_value', {'a': a, 't1': t1, 't2': t2}, {}, {'out': a.clone().addcmul_(t1, t2)})
    c = C.start('addcdiv_')
    a, t1, t2 = c.randn(3, 4), c.randn(3, 4), c.positive(3, 4, low=0.5)
    c.add('addcdiv_', {'a': a, 't1': t1, 't2': t2}, {'value': -0.01}, {'out': a.clone().addcdiv_(t1, t2, value=-0.01)})
    c = C.start('lerp_scalar')
    a, end = c.randn(3, 4), c.randn(3, 4)
    c.add('lerp_scalar', {'a': a, 'end': end}, {'weight': 0.25}, {'out': a.clone().lerp_(end, 0.25)})
    c = C.start('lerp_tensor')
    a, end, w = c.randn(3, 4), c.randn(3, 4), c.rand(3, 4).float()
    c.add('lerp_tensor', {'a': a, 'end': end, 'weight': w}, {}, {'out': a.clone().lerp_(end, w)})
    c = C.start('zero_')
    a = c.randn(2, 3)
    c.add('zero_', {'a': a}, {}, {'out': a.clone().zero_()})
    c = C.start('fill_')
    a = c.randn(2, 3)
    c.add('fill_', {'a': a}, {'value': -2.75}, {'out': a.clone().fill_(-2.75)})
    c = C.start('copy_float64_into_float32')
    a, src = c.randn(3, 4), c.randn(3, 4, dtype=torch.float64)
    c.add('copy_float64_into_float32', {'a': a, 'src': src}, {}, {'out': a.clone().copy_(src)})
    c = C.start('copy_broadcast')
    a, src = c.randn(3, 4), c.randn(4)
    c.add('copy_broadcast', {'a': a, 'src': src}, {}, {'out': a.clone().copy_(src)})
    c = C.start('clamp_')
    a = c.randn(3, 4)
    c.add('clamp_', {'a': a}, {'min': -0.5, 'max': 0.5}, {'out': a.clone().clamp_(-0.5, 0.5)})
    c = C.start('relu_')
    a = c.randn(3, 4)
    c.add('relu_', {'a': a}, {}, {'out': a.clone().relu_()})
    c = C.start('sqrt_')
    a = c.positive(3, 4)
    c.add('sqrt_', {'a': a}, {}, {'out': a.clone().sqrt_()})

    # the foreach (multi-tensor) updates optimizers use
    c = C.start('foreach')
    ps = [c.randn(3, 4), c.randn(5)]
    gs = [c.randn(3, 4), c.randn(5)]
    vs = [c.positive(3, 4), c.positive(5)]
    out_add = [p + g * -0.1 for p, g in zip(ps, gs)]
    out_add_scalar = [p + 0.5 for p in ps]
    out_mul = [p * g for p, g in zip(ps, gs)]
    out_mul_scalar = [p * 0.9 for p in ps]
    out_div = [p / v for p, v in zip(ps, vs)]
    out_addcmul = [p.clone().addcmul_(g, g, value=0.001) for p, g in zip(ps, gs)]
    out_addcdiv = [p.clone().addcdiv_(g, v, value=-0.01) for p, g, v in zip(ps, gs, vs)]
    out_sqrt = [v.sqrt() for v in vs]
    c.add('foreach', {'params': ps, 'grads': gs, 'positive': vs}, {'alpha': -0.1, 'scalar': 0.5, 'mulScalar': 0.9,
                                                                   'addcmulValue': 0.001, 'addcdivValue': -0.01},
          {'add': out_add, 'addScalar': out_add_scalar, 'mul': out_mul, 'mulScalar': out_mul_scalar, 'div': out_div,
           'addcmul': out_addcmul, 'addcdiv': out_addcdiv, 'sqrt': out_sqrt})


def views_and_low_precision(C):
    # in-place ops through views write into the base tensor
    c = C.start('inplace_through_views')
    a = c.randn(3, 4)
    b = a.clone()
    b.narrow(1, 1, 2).mul_(3)
    b.transpose(0, 1).narrow(0, 3, 1).add_(1)
    b[1].zero_()
    c.add('inplace_through_views', {'a': a}, {}, {'out': b})
    # float64 keeps float64 (tight tolerance in the test)
    c = C.start('float64_ops')
    a, b = c.randn(3, 4, dtype=torch.float64), c.randn(4, 2, dtype=torch.float64)
    x, w = c.randn(1, 2, 5, 5, dtype=torch.float64), c.randn(3, 2, 3, 3, dtype=torch.float64)
    c.add('float64_ops', {'a': a, 'b': b, 'x': x, 'w': w}, {}, {
        'matmul': a @ b, 'conv2d': F.conv2d(x, w, padding=1), 'logSoftmax': a.log_softmax(1), 'sum': a.sum(1),
        'mulScalar': a * 0.1})
    # bfloat16 and float16 elementwise arithmetic, compared bit for bit
    c = C.start('half_arithmetic')
    a, b = c.randn(10, dtype=torch.bfloat16), c.randn(10, dtype=torch.bfloat16)
    h, k = c.randn(10, dtype=torch.float16), c.randn(10, dtype=torch.float16)
    c.add('half_arithmetic', {'a': a, 'b': b, 'h': h, 'k': k}, {}, {
        'bf16Add': a + b, 'bf16Mul': a * b, 'bf16MulScalar': a * 0.3, 'f16Add': h + k, 'f16Mul': h * k})
    # cat promotes mixed dtypes
    c = C.start('cat_promotes')
    a, b = c.randn(2, 2), c.randint(-3, 3, (1, 2))
    c.add('cat_promotes', {'a': a, 'b': b}, {}, {'out': torch.cat([a, b], 0)})


def linear_algebra(C):
    c = C.start('matmul_2d')
    a, b = c.randn(3, 4), c.randn(4, 5)
    c.add('matmul_2d', {'a': a, 'b': b}, {}, {'out': a @ b})
    c = C.start('matmul_batched_broadcast')
    a, b = c.randn(2, 3, 4), c.randn(4, 5)
    c.add('matmul_batched_broadcast', {'a': a, 'b': b}, {}, {'out': a @ b})
    c = C.start('matmul_bmm')
    a, b = c.randn(2, 3, 4), c.randn(2, 4, 2)
    c.add('matmul_bmm', {'a': a, 'b': b}, {}, {'out': a @ b})
    c = C.start('matmul_vector_matrix')
    a, b = c.randn(4), c.randn(4, 5)
    c.add('matmul_vector_matrix', {'a': a, 'b': b}, {}, {'out': a @ b})
    c = C.start('matmul_dot')
    a, b = c.randn(6), c.randn(6)
    c.add('matmul_dot', {'a': a, 'b': b}, {}, {'out': a @ b})
    c = C.start('linear')
    x, w, b = c.randn(5, 4), c.randn(3, 4), c.randn(3)
    c.add('linear', {'x': x, 'w': w, 'b': b}, {}, {'out': F.linear(x, w, b)})
    c = C.start('linear_no_bias_3d')
    x, w = c.randn(2, 5, 4), c.randn(3, 4)
    c.add('linear_no_bias_3d', {'x': x, 'w': w}, {}, {'out': F.linear(x, w)})


def convolution(C):
    variants = [
        ('conv2d_basic', (2, 3, 5, 5), (4, 3, 3, 3), True, {}),
        ('conv2d_stride_padding', (1, 3, 7, 7), (4, 3, 3, 3), True, {'stride': 2, 'padding': 1}),
        ('conv2d_groups', (1, 4, 5, 5), (6, 2, 3, 3), True, {'padding': 1, 'groups': 2}),
        ('conv2d_depthwise', (1, 3, 5, 5), (3, 1, 3, 3), False, {'padding': 1, 'groups': 3}),
        ('conv2d_pairs_no_bias', (1, 2, 7, 6), (3, 2, 3, 2), False, {'stride': [2, 1], 'padding': [1, 0]}),
        ('conv2d_dilation', (1, 2, 7, 7), (2, 2, 3, 3), True, {'dilation': 2, 'padding': 2}),
        ('conv2d_1x1', (2, 4, 3, 3), (2, 4, 1, 1), True, {}),
    ]
    for name, xs, ws, has_bias, args in variants:
        c = C.start(name)
        x, w = c.randn(*xs), c.randn(*ws)
        b = c.randn(ws[0]) if has_bias else None
        out = F.conv2d(x, w, b, stride=args.get('stride', 1), padding=args.get('padding', 0),
                       dilation=args.get('dilation', 1), groups=args.get('groups', 1))
        inputs = {'x': x, 'w': w}
        if has_bias:
            inputs['b'] = b
        c.add(name, inputs, args, {'out': out})


def batch_norm(C):
    variants = [
        ('batch_norm_train', (4, 3, 4, 4), True, True, {'momentum': 0.1, 'eps': 1e-5}),
        ('batch_norm_train_momentum_eps', (3, 4, 3, 2), True, True, {'momentum': 0.3, 'eps': 1e-3}),
        ('batch_norm_train_no_affine', (3, 2, 3, 3), True, False, {'momentum': 0.1, 'eps': 1e-5}),
        ('batch_norm_train_2d_input', (8, 5), True, True, {'momentum': 0.2, 'eps': 1e-5}),
        ('batch_norm_eval', (3, 3, 3, 3), False, True, {'momentum': 0.1, 'eps': 1e-5}),
        ('batch_norm_eval_2d_input', (6, 5), False, True, {'momentum': 0.1, 'eps': 1e-4}),
    ]
    for name, xs, training, affine, args in variants:
        c = C.start(name)
        ch = xs[1]
        x = c.randn(*xs) * 2 + 0.5
        rm, rv = c.randn(ch) * 0.1, c.positive(ch, low=0.5, high=2.0)
        inputs = {'x': x, 'runningMean': rm, 'runningVar': rv}
        w = b = None
        if affine:
            w, b = c.positive(ch, low=0.5, high=1.5), c.randn(ch) * 0.2
            inputs['weight'], inputs['bias'] = w, b
        rm2, rv2 = rm.clone(), rv.clone()
        out = F.batch_norm(x, rm2, rv2, w, b, training=training, momentum=args['momentum'], eps=args['eps'])
        c.add(name, inputs, dict(args, training=training), {'out': out, 'runningMean': rm2, 'runningVar': rv2})


def batch_norm_extra(C):
    c = C.start('batch_norm_train_no_running_stats')
    x = c.randn(3, 2, 3, 3)
    w, b = c.positive(2, low=0.5, high=1.5), c.randn(2)
    c.add('batch_norm_train_no_running_stats', {'x': x, 'weight': w, 'bias': b}, {'eps': 1e-5},
          {'out': F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)})
    c = C.start('batch_norm_eval_after_train')
    x1, x2 = c.randn(4, 3, 2, 2), c.randn(2, 3, 2, 2)
    rm, rv = torch.zeros(3), torch.ones(3)
    F.batch_norm(x1, rm, rv, training=True, momentum=0.5)
    out = F.batch_norm(x2, rm, rv, training=False)
    c.add('batch_norm_eval_after_train', {'x1': x1, 'x2': x2}, {'momentum': 0.5},
          {'out': out, 'runningMean': rm, 'runningVar': rv})


def activations_and_pooling(C):
    c = C.start('relu')
    x = c.randn(3, 5)
    c.add('relu', {'x': x}, {}, {'out': F.relu(x)})
    c = C.start('max_pool2d_2')
    x = c.randn(1, 2, 6, 6)
    c.add('max_pool2d_2', {'x': x}, {'kernelSize': 2}, {'out': F.max_pool2d(x, 2)})
    c = C.start('max_pool2d_3_stride2_pad1')
    x = c.randn(1, 2, 7, 7)
    c.add('max_pool2d_3_stride2_pad1', {'x': x}, {'kernelSize': 3, 'stride': 2, 'padding': 1},
          {'out': F.max_pool2d(x, 3, stride=2, padding=1)})
    c = C.start('max_pool2d_ceil_mode')
    x = c.randn(1, 2, 7, 7)
    c.add('max_pool2d_ceil_mode', {'x': x}, {'kernelSize': 2, 'stride': 2, 'ceilMode': True},
          {'out': F.max_pool2d(x, 2, stride=2, ceil_mode=True)})
    c = C.start('max_pool2d_dilation')
    x = c.randn(1, 1, 7, 7)
    c.add('max_pool2d_dilation', {'x': x}, {'kernelSize': 2, 'stride': 1, 'dilation': 2},
          {'out': F.max_pool2d(x, 2, stride=1, dilation=2)})
    c = C.start('max_pool2d_pairs')
    x = c.randn(1, 2, 6, 7)
    c.add('max_pool2d_pairs', {'x': x}, {'kernelSize': [2, 3], 'stride': [2, 1]},
          {'out': F.max_pool2d(x, [2, 3], stride=[2, 1])})
    c = C.start('adaptive_avg_pool2d_1')
    x = c.randn(2, 2, 4, 4)
    c.add('adaptive_avg_pool2d_1', {'x': x}, {'outputSize': 1}, {'out': F.adaptive_avg_pool2d(x, 1)})
    c = C.start('adaptive_avg_pool2d_uneven')
    x = c.randn(1, 2, 5, 7)
    c.add('adaptive_avg_pool2d_uneven', {'x': x}, {'outputSize': [2, 3]}, {'out': F.adaptive_avg_pool2d(x, [2, 3])})
    c = C.start('unary_math')
    x, p = c.randn(3, 4), c.positive(3, 4)
    c.add('unary_math', {'x': x, 'p': p}, {}, {
        'exp': x.exp(), 'log': p.log(), 'sqrt': p.sqrt(), 'rsqrt': p.rsqrt(), 'neg': x.neg(), 'abs': x.abs(),
        'sigmoid': x.sigmoid(), 'tanh': x.tanh()})
    c = C.start('maximum_minimum')
    a, b = c.randn(3, 4), c.randn(3, 4)
    c.add('maximum_minimum', {'a': a, 'b': b}, {}, {'maximum': torch.maximum(a, b), 'minimum': torch.minimum(a, b)})
    c = C.start('clamp')
    x = c.randn(4, 5) * 2
    c.add('clamp', {'x': x}, {'min': -1, 'max': 0.5},
          {'both': x.clamp(-1, 0.5), 'minOnly': x.clamp(min=-1), 'maxOnly': x.clamp(max=0.5)})
    c = C.start('pow')
    x, p, e = c.randn(3, 4), c.positive(3, 4), c.randn(3, 4)
    c.add('pow', {'x': x, 'p': p, 'e': e}, {}, {
        'square': x.pow(2), 'cube': x.pow(3), 'sqrt': p.pow(0.5), 'negative': p.pow(-1.5), 'tensor': p.pow(e)})
    c = C.start('pow_int64')
    x = c.randint(-6, 6, (5,))
    c.add('pow_int64', {'x': x}, {'exponent': 3}, {'out': x.pow(3)})
    c = C.start('softmax')
    x = c.randn(2, 3, 4) * 3
    c.add('softmax', {'x': x}, {}, {
        'softmax1': x.softmax(1), 'softmaxLast': x.softmax(-1), 'logSoftmax1': x.log_softmax(1),
        'logSoftmaxLast': x.log_softmax(-1), 'logSoftmax0': x.log_softmax(0)})


def shapes(C):
    c = C.start('shapes')
    x = c.randn(2, 3, 4)
    c.add('shapes', {'x': x}, {}, {
        'flatten': x.flatten(), 'flatten1': x.flatten(1), 'flatten01': x.flatten(0, 1),
        'view': x.view(-1, 6), 'view3': x.view(4, 3, 2), 'reshape': x.reshape(3, 8),
        'permute': x.permute(2, 0, 1), 'permuteReshape': x.permute(2, 0, 1).reshape(4, 6),
        'transpose': x.transpose(0, 2), 'transposeNeg': x.transpose(-1, -2),
        'unsqueeze': x.unsqueeze(1), 'narrow': x.narrow(2, 1, 2), 'expand': x[:, :1, :].expand(2, 3, 4),
        'contiguousOfPermute': x.permute(1, 2, 0).contiguous()})
    c = C.start('squeeze')
    x = c.randn(2, 1, 3, 1)
    c.add('squeeze', {'x': x}, {}, {'all': x.squeeze(), 'dim1': x.squeeze(1), 'dim0': x.squeeze(0)})
    c = C.start('cat_stack')
    a, b, d = c.randn(2, 3), c.randn(2, 3), c.randn(1, 3)
    c.add('cat_stack', {'a': a, 'b': b, 'd': d}, {}, {
        'cat0': torch.cat([a, b, d], 0), 'cat1': torch.cat([a, b], 1), 'catNeg': torch.cat([a, b], -1),
        'stack0': torch.stack([a, b], 0), 'stack2': torch.stack([a, b], 2), 'stackNeg': torch.stack([a, b], -1)})
    c = C.start('pad')
    x = c.randn(1, 2, 3, 4)
    c.add('pad', {'x': x}, {'last': [1, 2], 'two': [1, 1, 2, 0], 'value': -1.5, 'crop': [-1, 0, 0, -1]}, {
        'last': F.pad(x, [1, 2]), 'twoValue': F.pad(x, [1, 1, 2, 0], value=-1.5), 'crop': F.pad(x, [-1, 0, 0, -1])})
    c = C.start('flip')
    x = c.randn(2, 3, 4)
    c.add('flip', {'x': x}, {}, {'flip0': x.flip([0]), 'flip12': x.flip([1, 2]), 'flipNeg': x.flip([-1])})


def indexing(C):
    c = C.start('gather')
    x = c.randn(3, 5)
    idx1 = c.randint(0, 5, (3, 4))
    idx0 = c.randint(0, 3, (2, 5))
    c.add('gather', {'x': x, 'idx1': idx1, 'idx0': idx0}, {},
          {'dim1': x.gather(1, idx1), 'dim0': x.gather(0, idx0)})
    c = C.start('index_select')
    x = c.randn(4, 5)
    i0, i1 = torch.tensor([3, 0, 3, 1]), torch.tensor([4, 2])
    c.add('index_select', {'x': x, 'i0': i0, 'i1': i1}, {},
          {'dim0': x.index_select(0, i0), 'dim1': x.index_select(1, i1)})
    c = C.start('index_advanced')
    x = c.randn(4, 5)
    rows, cols = torch.tensor([0, 2, 3]), torch.tensor([4, 0, 1])
    mask = x > 0
    c.add('index_advanced', {'x': x, 'rows': rows, 'cols': cols, 'mask': mask}, {},
          {'rowsCols': x[rows, cols], 'rowsOnly': x[rows], 'colsOnly': x[:, cols], 'mask': x[mask]})
    c = C.start('negative_indices_and_dims')
    x = c.randn(4, 5)
    neg = torch.tensor([-1, 0, -4])
    gidx = c.randint(0, 5, (4, 2))
    c.add('negative_indices_and_dims', {'x': x, 'neg': neg, 'gidx': gidx}, {}, {
        'index': x[neg], 'indexSelect': x.index_select(-1, torch.tensor([4, 0])),
        'gather': x.gather(-1, gidx), 'flatten': x.view(2, 2, 5).flatten(-2), 'squeeze': x.unsqueeze(-1).squeeze(-1),
        'sum': x.sum([-1, -2]), 'cat': torch.cat([x, x], -2)})
    c = C.start('where')
    x, y = c.randn(3, 4), c.randn(3, 4)
    cond = c.randn(3, 4) > 0
    c.add('where', {'cond': cond, 'x': x, 'y': y}, {'scalar': 0.25},
          {'tensor': torch.where(cond, x, y), 'scalar': torch.where(cond, x, torch.tensor(0.25))})


def reductions(C):
    c = C.start('reductions')
    x = c.randn(3, 4, 5)
    mx1 = x.max(1)
    mxk = x.max(2, keepdim=True)
    mn0 = x.min(0)
    c.add('reductions', {'x': x}, {}, {
        'sum': x.sum(), 'sum1': x.sum(1), 'sum02Keep': x.sum([0, 2], keepdim=True), 'sumNeg': x.sum(-1),
        'mean': x.mean(), 'mean2': x.mean(2), 'mean12Keep': x.mean([1, 2], keepdim=True),
        'max': x.max(), 'min': x.min(),
        'max1Values': mx1.values, 'max1Indices': mx1.indices,
        'max2KeepValues': mxk.values, 'max2KeepIndices': mxk.indices,
        'min0Values': mn0.values, 'min0Indices': mn0.indices,
        'argmax': x.argmax(), 'argmax1': x.argmax(1), 'argmax2Keep': x.argmax(2, keepdim=True),
        'argmin': x.argmin(), 'argmin0': x.argmin(0)})
    # ties: PyTorch returns the first index of the extreme value
    c = C.start('reductions_ties')
    x = c.randint(0, 3, (4, 6)).float()
    mx, mn = x.max(1), x.min(0)
    c.add('reductions_ties', {'x': x}, {}, {'argmax1': x.argmax(1), 'argmin0': x.argmin(0), 'argmax': x.argmax(),
                                          'maxValues': mx.values, 'maxIndices': mx.indices,
                                          'minValues': mn.values, 'minIndices': mn.indices})
    c = C.start('reductions_int64')
    x = c.randint(-100, 100, (3, 4))
    c.add('reductions_int64', {'x': x}, {}, {'sum': x.sum(), 'sum0': x.sum(0), 'max': x.max(), 'argmax1': x.argmax(1)})


def comparisons(C):
    c = C.start('comparisons')
    # small integers in float32, so that equal pairs occur
    a = c.randint(-2, 3, (4, 5)).float()
    b = c.randint(-2, 3, (4, 5)).float()
    c.add('comparisons', {'a': a, 'b': b}, {'scalar': 1}, {
        'eq': a.eq(b), 'ne': a.ne(b), 'lt': a.lt(b), 'le': a.le(b), 'gt': a.gt(b), 'ge': a.ge(b),
        'eqS': a.eq(1), 'neS': a.ne(1), 'ltS': a.lt(1), 'leS': a.le(1), 'gtS': a.gt(1), 'geS': a.ge(1)})
    c = C.start('comparisons_fractional_scalar')
    a = c.randn(3, 4)
    c.add('comparisons_fractional_scalar', {'a': a}, {'scalar': 0.3}, {'lt': a.lt(0.3), 'ge': a.ge(0.3)})


def losses(C):
    c = C.start('cross_entropy')
    logits = c.randn(6, 5) * 2
    target = c.randint(0, 5, (6,))
    weight = c.positive(5, low=0.5, high=2.0)
    target_ignore = target.clone()
    target_ignore[2] = -100
    probs = F.softmax(c.randn(6, 5), 1).float()
    c.add('cross_entropy', {'logits': logits, 'target': target, 'weight': weight, 'targetIgnore': target_ignore,
                            'probs': probs},
          {'labelSmoothing': 0.1}, {
              'mean': F.cross_entropy(logits, target),
              'smoothed': F.cross_entropy(logits, target, label_smoothing=0.1),
              'sum': F.cross_entropy(logits, target, reduction='sum'),
              'none': F.cross_entropy(logits, target, reduction='none'),
              'weighted': F.cross_entropy(logits, target, weight=weight),
              'weightedSmoothed': F.cross_entropy(logits, target, weight=weight, label_smoothing=0.1),
              'ignored': F.cross_entropy(logits, target_ignore),
              'ignoredSmoothed': F.cross_entropy(logits, target_ignore, label_smoothing=0.1),
              'probabilities': F.cross_entropy(logits, probs),
              'ignoreIndex3': F.cross_entropy(logits, target, ignore_index=3),
              'ignoreIndex3Smoothed': F.cross_entropy(logits, target, ignore_index=3, label_smoothing=0.1),
          })
    # gradients of the logits, plain and with label smoothing
    grads = {}
    for key, kw in (('grad', {}), ('gradSmoothed', {'label_smoothing': 0.1})):
        lg = logits.clone().requires_grad_()
        F.cross_entropy(lg, target, **kw).backward()
        grads[key] = lg.grad
    c.cases['cross_entropy']['expected'].update(enc_tree(grads))

    c = C.start('nll_mse')
    logp = F.log_softmax(c.randn(5, 4), 1).float()
    target = c.randint(0, 4, (5,))
    pred, goal = c.randn(3, 4), c.randn(3, 4)
    c.add('nll_mse', {'logp': logp, 'target': target, 'pred': pred, 'goal': goal}, {},
          {'nll': F.nll_loss(logp, target), 'nllSum': F.nll_loss(logp, target, reduction='sum'),
           'mse': F.mse_loss(pred, goal), 'mseNone': F.mse_loss(pred, goal, reduction='none')})


def dtypes(C):
    # torch.tensor(python floats, dtype=...): each double goes to the target dtype as PyTorch casts it
    c = C.start('tensor_from_doubles')
    values = torch.tensor([0.1, 1 / 3, 1 + 2 ** -8 + 2 ** -30, 1 + 2 ** -11 + 2 ** -40, -2.7, 2.5, 2.7, 1e-40, 65519.0,
                           300.75], dtype=torch.float64)
    vl = values.tolist()
    c.add('tensor_from_doubles', {'values': values}, {}, {
        'float32': torch.tensor(vl, dtype=torch.float32), 'float64': torch.tensor(vl, dtype=torch.float64),
        'bfloat16': torch.tensor(vl, dtype=torch.bfloat16), 'float16': torch.tensor(vl, dtype=torch.float16),
        'int64': torch.tensor(vl, dtype=torch.int64), 'int32': torch.tensor(vl, dtype=torch.int32)})
    c = C.start('float32_to_int')
    # values in every target's range (out-of-range float to int casts are undefined behaviour in C++)
    specials = torch.tensor([-2.7, -2.5, -1.0, -0.5, -0.0, 0.4, 0.5, 1.5, 2.5, 2.7, 100.99, -100.99, 127.9, -128.9])
    x = torch.cat([specials, c.randn(10) * 10]).float()
    big = torch.tensor([16777215.0, -16777216.0, 2147483520.0, -2147483648.0, 1e9 + 0.5]).float()
    c.add('float32_to_int', {'x': x, 'big': big}, {}, {
        'int64': x.long(), 'int32': x.int(), 'int16': x.to(torch.int16), 'int8': x.to(torch.int8),
        'bigInt64': big.long(), 'bigInt32': big.int()})
    c = C.start('float32_to_bfloat16')
    specials = torch.tensor([
        1.0, 1.00390625, 1.01171875, 1.0078125, -1.00390625, 255.5, 257.0, 0.1, 1e-3, -3.14159265, 1e38, -1e-38,
        65504.0, 1.0 + 2 ** -7 + 2 ** -9, 3.0 * 2 ** -130], dtype=torch.float64).float()
    x = torch.cat([specials, c.randn(17) * 3])
    c.add('float32_to_bfloat16', {'x': x}, {}, {'bfloat16': x.bfloat16(), 'roundTrip': x.bfloat16().float()})
    c = C.start('float32_to_float16')
    specials = torch.tensor([
        1.0, 1.0 + 2 ** -11, 1.0 + 3 * 2 ** -11, 2049.0, 2051.0, 65504.0, 6e-8, 1e-5, -0.1, 0.33333334], dtype=torch.float64).float()
    x = torch.cat([specials, c.randn(14) * 3])
    c.add('float32_to_float16', {'x': x}, {}, {'float16': x.half(), 'roundTrip': x.half().float()})
    c = C.start('float_to_uint8')
    x = torch.cat([torch.tensor([0.0, 0.99, 1.0, 127.5, 254.99, 255.0]), c.rand(10) * 255]).float()
    c.add('float_to_uint8', {'x': x}, {}, {'out': x.to(torch.uint8)})
    c = C.start('int64_to_uint8_wraps')
    x = torch.tensor([0, 1, 127, 128, 255, 256, 300, -1, -2, -256, 1000])
    c.add('int64_to_uint8_wraps', {'x': x}, {}, {'out': x.to(torch.uint8)})
    c = C.start('uint8_to_float_and_int64')
    x = torch.tensor([0, 1, 7, 128, 200, 255], dtype=torch.uint8)
    c.add('uint8_to_float_and_int64', {'x': x}, {}, {'float32': x.float(), 'int64': x.long(), 'bool': x.bool()})
    c = C.start('bool_conversions')
    x = torch.tensor([0.0, -0.0, 0.1, -3.0, 1e-30, 2.0])
    bits = torch.tensor([True, False, True])
    ints = torch.tensor([0, -1, 5, 0])
    c.add('bool_conversions', {'x': x, 'b': bits, 'i': ints}, {}, {
        'floatToBool': x.bool(), 'boolToFloat': bits.float(), 'boolToInt64': bits.long(), 'int64ToBool': ints.bool(),
        'boolSum': bits.sum()})
    c = C.start('float64_to_float32')
    x = torch.tensor([0.1, 1 / 3, 1e-40, 16777217.0, -2.0 ** 0.5, 3.4028234663852886e38, 1.0000000596046448],
                     dtype=torch.float64)
    c.add('float64_to_float32', {'x': x}, {}, {'out': x.float(), 'back': x.float().double()})
    c = C.start('int64_to_float32')
    x = torch.tensor([16777217, 16777219, -16777217, 2 ** 40 + 1, 3, 0])
    c.add('int64_to_float32', {'x': x}, {}, {'out': x.float(), 'float64': x.double()})


GATHER_INDEX = torch.tensor([[0, 0, 4], [1, 2, 1], [3, 3, 3]])
SELECT_INDEX = torch.tensor([3, 0, 3])


def grads(C):
    """Gradients of single ops: loss = (op(x) * g).sum() with a fixed random g."""
    c = C.start('grads')
    ops = {
        'maxPool2d': (c.randn(1, 1, 6, 6), lambda x: F.max_pool2d(x, 3, stride=2, padding=1)),
        'adaptiveAvgPool2d': (c.randn(1, 1, 5, 7), lambda x: F.adaptive_avg_pool2d(x, [2, 3])),
        'logSoftmax': (c.randn(3, 5), lambda x: x.log_softmax(1)),
        'softmax': (c.randn(3, 5), lambda x: x.softmax(0)),
        'pad': (c.randn(1, 1, 3, 4), lambda x: F.pad(x, [1, 2, -1, 1], value=0.5)),
        'gather': (c.randn(3, 5), lambda x: x.gather(1, GATHER_INDEX)),
        'indexSelect': (c.randn(4, 3), lambda x: x.index_select(0, SELECT_INDEX)),
        'permuteReshape': (c.randn(2, 3, 4), lambda x: x.permute(2, 0, 1).reshape(4, 6)),
        'clamp': (c.randn(3, 4), lambda x: x.clamp(-0.5, 0.5)),
        'pow': (c.positive(3, 4), lambda x: x.pow(1.5)),
        'relu': (c.randn(3, 4), lambda x: x.relu()),
        'mean': (c.randn(3, 4), lambda x: x.mean(1, keepdim=True)),
        'flip': (c.randn(2, 3), lambda x: x.flip([1])),
    }
    inputs, expected = {}, {}
    for name, (x, fn) in ops.items():
        x = x.clone().requires_grad_()
        y = fn(x)
        g = c.randn(*y.shape)
        (y * g).sum().backward()
        inputs[name] = {'x': x.detach(), 'g': g}
        if name == 'gather':
            inputs[name]['index'] = GATHER_INDEX
        if name == 'indexSelect':
            inputs[name]['index'] = SELECT_INDEX
        expected[name] = {'out': y, 'grad': x.grad}
    c.add('grads', inputs, {}, expected)

    c = C.start('grads_linear_conv')
    x, w, b = c.randn(4, 3), c.randn(2, 3), c.randn(2)
    cx, cw, cb = c.randn(1, 2, 5, 5), c.randn(3, 2, 3, 3), c.randn(3)
    ps = [t.clone().requires_grad_() for t in (x, w, b, cx, cw, cb)]
    y = F.linear(ps[0], ps[1], ps[2])
    gy = c.randn(*y.shape)
    z = F.conv2d(ps[3], ps[4], ps[5], stride=2, padding=1)
    gz = c.randn(*z.shape)
    ((y * gy).sum() + (z * gz).sum()).backward()
    c.add('grads_linear_conv', {'x': x, 'w': w, 'b': b, 'gy': gy, 'cx': cx, 'cw': cw, 'cb': cb, 'gz': gz},
          {'stride': 2, 'padding': 1},
          {'x': ps[0].grad, 'w': ps[1].grad, 'b': ps[2].grad, 'cx': ps[3].grad, 'cw': ps[4].grad, 'cb': ps[5].grad})


# ---------------------------------------------------------------------------------------------
# parity: a small convolutional classifier, forward and backward, float32

def parity_model(p, x, target, cfg, rm, rv):
    h = F.conv2d(x, p['convWeight'], p['convBias'], stride=cfg['stride'], padding=cfg['padding'])
    h = F.batch_norm(h, rm, rv, p['bnWeight'], p['bnBias'], training=True, momentum=cfg['momentum'], eps=cfg['eps'])
    h = F.relu(h)
    if cfg['head'] == 'mean':
        h = h.mean([2, 3])
    else:
        h = h.flatten(1)
    logits = F.linear(h, p['fcWeight'], p['fcBias'])
    return logits, F.cross_entropy(logits, target, label_smoothing=cfg['labelSmoothing'])


def parity_case(name, cfg, classes=5, channels=8, batch=4, size=8):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))

    def randn(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).float()

    x = randn(batch, 3, size, size)
    target = torch.randint(0, classes, (batch,), generator=g)
    out_hw = (size + 2 * cfg['padding'] - 3) // cfg['stride'] + 1
    features = channels if cfg['head'] == 'mean' else channels * out_hw * out_hw
    params = {
        'convWeight': randn(channels, 3, 3, 3, scale=0.3),
        'convBias': randn(channels, scale=0.1),
        'bnWeight': (1.0 + randn(channels, scale=0.1)),
        'bnBias': randn(channels, scale=0.1),
        'fcWeight': randn(classes, features, scale=features ** -0.5),
        'fcBias': randn(classes, scale=0.1),
    }
    rm0, rv0 = randn(channels, scale=0.1), (0.5 + torch.rand(channels, generator=g, dtype=torch.float64)).float()

    # one forward/backward
    p = {k: v.clone().requires_grad_() for k, v in params.items()}
    xg = x.clone().requires_grad_()
    rm, rv = rm0.clone(), rv0.clone()
    logits, loss = parity_model(p, xg, target, cfg, rm, rv)
    loss.backward()
    step = {
        'logits': logits, 'loss': loss, 'runningMean': rm, 'runningVar': rv,
        'grads': dict({k: v.grad for k, v in p.items()}, x=xg.grad),
    }

    # SGD with momentum and weight decay, torch.optim.SGD's update rule, three steps on the same batch
    sgd = {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 5e-4, 'steps': 3}
    p = {k: v.clone().requires_grad_() for k, v in params.items()}
    rm, rv = rm0.clone(), rv0.clone()
    opt = torch.optim.SGD(list(p.values()), lr=sgd['lr'], momentum=sgd['momentum'], weight_decay=sgd['weightDecay'])
    step_losses = []
    for _ in range(sgd['steps']):
        opt.zero_grad(set_to_none=True)
        _, l = parity_model(p, x, target, cfg, rm, rv)
        l.backward()
        opt.step()
        step_losses.append(l.detach())
    trained = {'losses': torch.stack(step_losses), 'params': {k: v.detach() for k, v in p.items()},
               'runningMean': rm, 'runningVar': rv}

    return {
        'config': cfg, 'sgd': sgd,
        'inputs': enc_tree({'x': x, 'target': target, 'params': params, 'runningMean': rm0, 'runningVar': rv0}),
        'expected': enc_tree(step),
        'trained': enc_tree(trained),
    }


def parity():
    return {
        'mean_head': parity_case('mean_head', {'stride': 1, 'padding': 1, 'momentum': 0.1, 'eps': 1e-5,
                                               'head': 'mean', 'labelSmoothing': 0.0}),
        'flatten_head_smoothed': parity_case('flatten_head_smoothed', {'stride': 2, 'padding': 1, 'momentum': 0.1,
                                                                       'eps': 1e-5, 'head': 'flatten',
                                                                       'labelSmoothing': 0.1}, channels=4, batch=3, size=6),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: make_references.py OUTPUT_DIR')
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    C = Cases()
    for section in (arithmetic, in_place, views_and_low_precision, linear_algebra, convolution, batch_norm,
                    batch_norm_extra, activations_and_pooling, shapes,
                    indexing, reductions, comparisons, losses, dtypes, grads):
        section(C)
    meta = {'generator': 'scripts/references/make_references.py', 'torch': torch.__version__}
    files = {
        'ops.json': dict(meta, cases=C.cases),
        'parity.json': dict(meta, cases=parity()),
    }
    for name, content in files.items():
        path = os.path.join(out_dir, name)
        with open(path, 'w') as f:
            json.dump(content, f, separators=(',', ':'), allow_nan=False)
            f.write('\n')
        print(f'{path}: {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
