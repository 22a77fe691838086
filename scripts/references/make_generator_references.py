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


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures')
    fixture = {
        'torch': torch.__version__.split('+')[0],
        'defaultSeed': str(torch.Generator().initial_seed()),
        'stateBytes': len(torch.Generator().get_state()),
        'cases': [case(s) for s in SEEDS],
        'sampler': [sampler(o) for o in SAMPLERS],
    }
    with open(os.path.join(out_dir, 'generator.json'), 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
