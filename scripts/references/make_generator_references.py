#!/usr/bin/env python3
"""Writes test/fixtures/generator.json: what torch.Generator draws on the CPU, for torchnode's generator tests.

    python3 scripts/references/make_generator_references.py test/fixtures

The same values come from PyTorch 1.13 and 2.x (mt19937 and the CPU kernels are unchanged);
run it with both to check. Contents (floats exact through float64):

  defaultSeed        torch.Generator().initial_seed()
  stateBytes         len(torch.Generator().get_state())
  cases              per seed: in one generator seeded with manual_seed(seed), in this order,
                     rand(5), randn(5), randn(20) (the vectorised path), randperm(10),
                     randint(0, 10, (6,)), then on zeros(5): normal_(1, 2), uniform_(-1, 1),
                     bernoulli_(0.3); and sha256 of get_state() right after seeding
  sampler            per case: torch.utils.data.DistributedSampler's indices for every rank
                     (options under torchnode's names, an epoch set with set_epoch)
  generated          per overload of the generated wrappers that takes a Generator: the inputs
                     (float64 unless said) and what it draws from a fresh generator seeded with 7
  init               torch.nn.init's random initialisers on float32 tensors, each from a fresh
                     generator seeded with 11 (PyTorch >= 2.1 takes generator=; the draws are
                     uniform_/normal_'s, the same in 1.13), and calculate_gain for each nonlinearity
  randomSplit        torch.utils.data.random_split's indices per subset for a data set of `size`,
                     `lengths` (counts or fractions) and a generator seeded with `seed`
"""
import hashlib
import json
import os
import sys

import torch

SEEDS = [0, 42, 2**40 + 7]


def values(t):
    return [float(v) if t.is_floating_point() else int(v) for v in t.tolist()]


def case(seed):
    g = torch.Generator().manual_seed(seed)
    state = hashlib.sha256(bytes(g.get_state().tolist())).hexdigest()
    out = {'seed': str(seed), 'stateSha256': state}
    out['rand'] = values(torch.rand(5, generator=g))
    out['randn'] = values(torch.randn(5, generator=g))
    out['randn20'] = values(torch.randn(20, generator=g))
    out['randperm'] = values(torch.randperm(10, generator=g))
    out['randint'] = values(torch.randint(0, 10, (6,), generator=g))
    out['normal_'] = values(torch.zeros(5).normal_(1, 2, generator=g))
    out['uniform_'] = values(torch.zeros(5).uniform_(-1, 1, generator=g))
    out['bernoulli_'] = values(torch.zeros(5).bernoulli_(0.3, generator=g))
    return out


SAMPLERS = [
    {'size': 10, 'worldSize': 3, 'seed': 3, 'epoch': 0, 'dropLast': False},
    {'size': 10, 'worldSize': 3, 'seed': 3, 'epoch': 1, 'dropLast': True},
    {'size': 1000, 'worldSize': 4, 'seed': 0, 'epoch': 5, 'dropLast': False},
]


def sampler(o):
    from torch.utils.data import DistributedSampler
    shards = []
    for rank in range(o['worldSize']):
        s = DistributedSampler(range(o['size']), num_replicas=o['worldSize'], rank=rank, shuffle=True,
                               seed=o['seed'], drop_last=o['dropLast'])
        s.set_epoch(o['epoch'])
        shards.append(list(s))
    return {'options': o, 'indices': shards}


def tensor(t):
    return {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'values': values(t.flatten())}


def generated():
    f64 = torch.float64
    P = torch.tensor([[0.1, 0.5, 0.9], [0.3, 0.7, 0.2]], dtype=f64)
    M = torch.tensor([[0.0, 1, 2], [3, 4, 5]], dtype=f64)
    count = torch.tensor([[5.0, 10, 20], [1, 2, 3]], dtype=f64)
    W = torch.tensor([[1.0, 2, 3, 4], [4, 3, 2, 1]], dtype=f64)
    R = torch.tensor([[0.5, 1, 2], [4, 8, 16]], dtype=f64)
    N = torch.tensor([[-1.0, -2, 3], [-4, 5, -6]], dtype=f64)
    Z = lambda dtype=f64: torch.zeros(2, 3, dtype=dtype)
    aten = torch.ops.aten
    cases = {
        'aten::bernoulli': ({'P': P}, lambda g: torch.bernoulli(P, generator=g)),
        'aten::bernoulli.p': ({'X': Z()}, lambda g: aten.bernoulli.p(Z(), 0.3, generator=g)),
        'aten::bernoulli.Tensor': ({'X': Z(), 'P': P}, lambda g: aten.bernoulli.Tensor(Z(), P, generator=g)),
        'aten::binomial': ({'count': count, 'P': P}, lambda g: torch.binomial(count, P, generator=g)),
        'aten::cauchy_': ({'X': Z()}, lambda g: Z().cauchy_(0.5, 2, generator=g)),
        'aten::exponential_': ({'X': Z()}, lambda g: Z().exponential_(1.5, generator=g)),
        'aten::geometric_': ({'X': Z()}, lambda g: Z().geometric_(0.3, generator=g)),
        'aten::log_normal_': ({'X': Z()}, lambda g: Z().log_normal_(0.5, 0.25, generator=g)),
        'aten::multinomial': ({'W': W}, lambda g: torch.multinomial(W, 3, True, generator=g)),
        'aten::normal.Tensor_float': ({'M': M}, lambda g: torch.normal(M, 2.0, generator=g)),
        'aten::normal.float_Tensor': ({'P': P}, lambda g: torch.normal(1.0, P, generator=g)),
        'aten::normal.Tensor_Tensor': ({'M': M, 'P': P}, lambda g: torch.normal(M, P, generator=g)),
        'aten::normal.float_float': ({}, lambda g: torch.normal(1.0, 2.0, (2, 3), generator=g)),
        'aten::poisson': ({'R': R}, lambda g: torch.poisson(R, generator=g)),
        'aten::random_': ({'X': Z(torch.float32)}, lambda g: Z(torch.float32).random_(generator=g)),
        'aten::random_.from': ({'X': Z()}, lambda g: Z().random_(3, 10, generator=g)),
        'aten::random_.to': ({'X': Z()}, lambda g: Z().random_(5, generator=g)),
        'aten::rrelu': ({'N': N}, lambda g: torch.rrelu(N, 0.1, 0.3, True, g)),
        'aten::rrelu_': ({'N': N}, lambda g: torch.rrelu_(N.clone(), 0.1, 0.3, True, g)),
    }
    out = {}
    for name, (inputs, draw) in cases.items():
        out[name] = {'inputs': {k: tensor(v) for k, v in inputs.items()}, 'expected': tensor(draw(torch.Generator().manual_seed(7)))}
    return out


def init():
    import inspect
    I = torch.nn.init
    if 'generator' not in inspect.signature(I.uniform_).parameters:
        return None  # PyTorch < 2.1: its initialisers take no generator (left out of a check run)
    g = lambda: torch.Generator().manual_seed(11)
    draws = {
        'kaimingUniform_': lambda: I.kaiming_uniform_(torch.empty(8, 4, 3, 3), a=5 ** 0.5, generator=g()),
        'kaimingNormal_': lambda: I.kaiming_normal_(torch.empty(8, 4, 3, 3), mode='fan_out', nonlinearity='relu', generator=g()),
        'xavierUniform_': lambda: I.xavier_uniform_(torch.empty(5, 7), gain=I.calculate_gain('tanh'), generator=g()),
        'xavierNormal_': lambda: I.xavier_normal_(torch.empty(5, 7), generator=g()),
        'uniform_': lambda: I.uniform_(torch.empty(6), -0.5, 0.5, generator=g()),
        'normal_': lambda: I.normal_(torch.empty(6), 1.0, 0.1, generator=g()),
    }
    gains = {n: I.calculate_gain(n) for n in ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
                                              'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']}
    gains['leaky_relu(0.2)'] = I.calculate_gain('leaky_relu', 0.2)
    return {'draws': {k: tensor(f()) for k, f in draws.items()}, 'gains': gains}


SPLITS = [
    {'size': 10, 'lengths': [7, 3], 'seed': 3},
    {'size': 10, 'lengths': [0.7, 0.3], 'seed': 3},
    {'size': 7, 'lengths': [0.5, 0.3, 0.2], 'seed': 5},
    {'size': 1000, 'lengths': [0.9, 0.1], 'seed': 42},
    {'size': 5, 'lengths': [1], 'seed': 2},
    {'size': 0, 'lengths': [0.5, 0.5], 'seed': 1},
    # fractions only to Python >= 3.12's compensated sum() (1.0; 3.11 adds to 1.0000000000000002 and
    # raises): split as the counts they floor to, [1, 11, 6, 2] of 20
    {'size': 20, 'lengths': [0.05, 0.55, 0.3, 0.1], 'seed': 8, 'counts': [1, 11, 6, 2]},
]


def random_split(o):
    from torch.utils.data import random_split
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the empty split's "length 0" warning
        parts = random_split(range(o['size']), o.get('counts', o['lengths']), generator=torch.Generator().manual_seed(o['seed']))
    return {**{k: v for k, v in o.items() if k != 'counts'}, 'indices': [list(p.indices) for p in parts]}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures')
    fixture = {
        'torch': torch.__version__.split('+')[0],
        'defaultSeed': str(torch.Generator().initial_seed()),
        'stateBytes': len(torch.Generator().get_state()),
        'cases': [case(s) for s in SEEDS],
        'sampler': [sampler(o) for o in SAMPLERS],
        'generated': generated(),
        'init': init(),
        'randomSplit': [random_split(o) for o in SPLITS],
    }
    if fixture['init'] is None:
        del fixture['init']
    with open(os.path.join(out_dir, 'generator.json'), 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
