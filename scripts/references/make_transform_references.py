#!/usr/bin/env python3
"""Writes test/fixtures/transforms.json: what torchvision.transforms.v2.functional computes, for
lib/data/transforms.ts.

    python3 scripts/references/make_transform_references.py test/fixtures
    /usr/bin/python3 scripts/references/make_transform_references.py /tmp/t113   # torch 1.13: same values

Inputs are uint8 images made by a formula (no generator), so both versions see the same pixels.
Float results are written exactly (through float64); uint8 results as integers. torch 1.13's
torchvision has no v2, so the same functions come from torchvision.transforms.functional there.
"""
import json
import os
import sys

import torch
import torchvision

try:
    from torchvision.transforms.v2 import functional as F
except ImportError:  # torchvision 0.14 (torch 1.13)
    from torchvision.transforms import functional as F


def enc(t):
    t = t.detach()
    if t.dtype == torch.uint8:
        return {'dtype': 'uint8', 'shape': list(t.shape), 'data': t.tolist()}
    return {'dtype': 'float32', 'shape': list(t.shape), 'data': t.double().tolist()}


def pixels(*shape, salt=0):
    n = 1
    for s in shape:
        n *= s
    i = torch.arange(n, dtype=torch.int64)
    return ((i * 37 + salt * 11 + (i * i) % 251) % 256).to(torch.uint8).reshape(shape)


def to_float(u8):
    return u8.float() / 255


def resize(x, size, antialias):
    return F.resize(x, size, interpolation=torchvision.transforms.InterpolationMode.BILINEAR, antialias=antialias)


def main(out):
    chw = pixels(3, 5, 7)
    big = pixels(3, 17, 23, salt=1)
    batch = pixels(2, 3, 17, 23, salt=2)
    mean, std = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]
    f_big = to_float(big)
    refs = {
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'inputs': {'chw': enc(chw), 'big': enc(big), 'batch': enc(batch)},
        'toTensor': enc(to_float(chw)),
        'normalize': {'mean': mean, 'std': std, 'out': enc(F.normalize(to_float(chw), mean, std))},
        'resize': [
            {'input': 'big', 'size': [8, 11], 'antialias': True, 'out': enc(resize(f_big, [8, 11], True))},
            {'input': 'big', 'size': [8, 11], 'antialias': False, 'out': enc(resize(f_big, [8, 11], False))},
            {'input': 'big', 'size': 10, 'antialias': True, 'out': enc(resize(f_big, [10], True))},
            {'input': 'big', 'size': [40, 31], 'antialias': True, 'out': enc(resize(f_big, [40, 31], True))},
            {'input': 'chw', 'size': [9, 13], 'antialias': True, 'out': enc(resize(to_float(chw), [9, 13], True))},
            {'input': 'batch', 'size': [7, 5], 'antialias': True, 'out': enc(resize(to_float(batch), [7, 5], True))},
        ],
        # uint8 in, uint8 out: the float kernel then round, as torchvision does where it has no uint8 kernel
        'resizeUint8': [
            {'input': 'big', 'size': [8, 11], 'out': enc(resize(f_big * 255, [8, 11], True).round().clamp(0, 255).to(torch.uint8)),
             'torchvision': enc(resize(big, [8, 11], True))},
        ],
        'centerCrop': [{'size': s, 'out': enc(F.center_crop(chw, s))} for s in ([3, 4], [4, 4], [2, 5], [8, 9], [5, 7], [6, 2])],
        'crop': [{'box': b, 'out': enc(F.crop(chw, *b))} for b in ([1, 2, 3, 4], [-2, 3, 6, 7], [3, -1, 4, 10])],
        'hflip': enc(F.hflip(chw)),
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'transforms.json'), 'w') as f:
        json.dump(refs, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures'))
