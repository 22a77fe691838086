#!/usr/bin/env python3
"""Writes test/fixtures/ops-public.json: what torch.ops.aten returns, for torchnode's torch.ops tests.

    python3 scripts/references/make_ops_public_references.py test/fixtures

Every value is exact and the same from PyTorch 1.13 and 2.x. Tensors as {"dtype", "shape", "data"}.
Inputs: x (6 floats), m (x as 2x3), a, b (3 floats each), img (1x1x4x4), w (1x1x3x3), idx, mask.
A ScalarType result is written as the dtype name (torchnode's form; PyTorch gives the enum's code).
Each case names the call as torchnode spells it (ops/overload, positional arguments by input
name or literal, keyword arguments) and what PyTorch's torch.ops.aten returned.
"""
import json
import os
import sys

import torch

aten = torch.ops.aten

x = torch.tensor([1.0, 5.0, 3.0, 9.0, 2.0, 8.0])
m = x.view(2, 3)
a = torch.tensor([0.5, -1.5, 2.0])
b = torch.tensor([4.0, 0.25, -3.0])
img = torch.arange(16.0).view(1, 1, 4, 4)
w = torch.tensor([[[[1.0, 0.0, -1.0], [2.0, 0.5, 0.0], [0.0, 1.0, 0.25]]]])
idx = torch.tensor([5, 0, 2])
mask = a > 0
INPUTS = {'x': x, 'm': m, 'a': a, 'b': b, 'img': img, 'w': w, 'idx': idx, 'mask': mask}
# c10::ScalarType codes: torch.ops returns a ScalarType as its code, torchnode as the dtype name
DTYPE_NAMES = {0: 'uint8', 1: 'int8', 2: 'int16', 3: 'int32', 4: 'int64', 5: 'float16', 6: 'float32', 7: 'float64',
               11: 'bool', 15: 'bfloat16'}


def enc(v):
    if isinstance(v, torch.Tensor):
        return {'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape), 'data': v.tolist()}
    if isinstance(v, (list, tuple)):
        return [enc(e) for e in v]
    if isinstance(v, torch.dtype):
        return str(v).replace('torch.', '')
    return v


def arg(v):
    return INPUTS[v] if isinstance(v, str) and v in INPUTS else v


def list_arg(v):
    return [arg(e) for e in v] if isinstance(v, list) else arg(v)


# (operator, overload or None for the packet, positional, keyword, keyword as PyTorch names it)
CASES = [
    ('topk', None, ['x', 3], {}),
    ('topk', 'default', ['x', 2], {'largest': False}),
    ('add', 'Tensor', ['a', 'b'], {'alpha': 2}),
    ('add', None, ['a', 'b'], {}),
    ('sum', None, ['m', [1]], {'keepdim': True}),
    ('sum', 'dim_IntList', ['m', [0]], {}),
    ('max', 'dim', ['m', 1], {}),
    ('split', 'Tensor', ['x', 4], {}),
    ('cat', None, [['a', 'b']], {}),
    ('index', 'Tensor', ['x', ['idx']], {}),
    ('sort', 'stable', ['x'], {'stable': True, 'dim': 0, 'descending': True}),
    ('convolution', None, ['img', 'w', None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1], {}),
    ('conv2d', None, ['img', 'w'], {'padding': [1, 1], 'stride': [2, 2]}),
    ('_foreach_add', 'Scalar', [['a', 'b'], 1], {}),
    ('argmax', None, ['m'], {'dim': 1, 'keepdim': True}),
    ('where', 'self', ['mask', 'a', 'b'], {}),
    ('mean', 'dim', ['m', [1]], {'dtype': 'float64'}),
    ('result_type', 'Tensor', ['idx', 'a'], {}),
    ('size', 'int', ['m', 1], {}),
    ('is_nonzero', None, [torch.tensor([2.0])], {}),
]

DTYPES = {'float64': torch.float64, 'int64': torch.int64, 'float32': torch.float32}


def run(op, overload, positional, keywords):
    packet = getattr(aten, op)
    fn = packet if overload is None else getattr(packet, overload)
    args = [list_arg(v) for v in positional]
    kwargs = {k: DTYPES.get(v, v) if k == 'dtype' else v for k, v in keywords.items()}
    return fn(*args, **kwargs)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures')
    cases = []
    for op, overload, positional, keywords in CASES:
        lit = [enc(v) if isinstance(v, torch.Tensor) else v for v in positional]
        result = run(op, overload, positional, keywords)
        if op == 'result_type':
            result = DTYPE_NAMES[result]
        cases.append({'op': op, 'overload': overload, 'args': lit, 'kwargs': keywords, 'result': enc(result)})
    fixture = {'torch': torch.__version__.split('+')[0], 'inputs': {k: enc(v) for k, v in INPUTS.items()}, 'cases': cases}
    with open(os.path.join(out_dir, 'ops-public.json'), 'w') as f:
        json.dump(fixture, f)
        f.write('\n')


if __name__ == '__main__':
    main()
