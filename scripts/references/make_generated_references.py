#!/usr/bin/env python3
"""Reference values for the generated wrappers (lib/generated/manifest.json): for each overload,
inputs picked from its schema (small arange-based float64/int64 tensors, defaults left alone),
the first combination PyTorch runs with a finite result is recorded with its output.

    python3 scripts/references/make_generated_references.py test/fixtures
    /usr/bin/python3 scripts/references/make_generated_references.py --check test/fixtures/generated.json

--check reruns the cases in another PyTorch and prints the ids whose values differ; the first form
runs it with /usr/bin/python3 (torch 1.13) and moves those cases to "uncovered"."""
import itertools
import json
import math
import os
import subprocess
import sys

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
DTYPES = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int64', torch.int32: 'int32',
          torch.int16: 'int16', torch.int8: 'int8', torch.uint8: 'uint8', torch.bool: 'bool'}
BY_NAME = {v: k for k, v in DTYPES.items()}
RANDOM = ('rand', 'bernoulli', 'multinomial', 'normal', 'poisson', 'dropout', 'rrelu', 'uniform', 'exponential',
          'geometric', 'cauchy', 'log_normal', 'random')
SKIP = {'from_file': 'reads a file', 'set_': 'aliases storage'}

def cand_tensor(name):
    a = (torch.arange(6, dtype=torch.float64) + 1).reshape(2, 3) / 8
    idx = torch.tensor([[0, 1, 0], [1, 0, 1]])
    sq = torch.eye(3, dtype=torch.float64) * 2 + torch.arange(9, dtype=torch.float64).reshape(3, 3) / 10
    vec = torch.arange(3, dtype=torch.float64) / 4 + 0.25
    mask = torch.tensor([[True, False, True], [False, True, False]])
    img = (torch.arange(18, dtype=torch.float64).reshape(1, 2, 3, 3) + 1) / 16
    scalar = torch.tensor(0.5, dtype=torch.float64)
    batch = (torch.arange(12, dtype=torch.float64).reshape(2, 2, 3) + 1) / 8
    above_one = a * 4 + 1
    c = [a, sq, vec, idx, img, scalar, mask, batch, above_one]
    if 'index' in name or name in ('indices', 'target', 'repeats'):
        c = [idx, torch.tensor([0, 1]), a, vec]
    if 'mask' in name or name == 'condition':
        c = [mask, a]
    return c

def candidates(arg):
    k, n = arg['kind'], arg['name']
    if k == 'T':
        return cand_tensor(n)
    if k == 'TL':
        t = cand_tensor(n)
        return [[t[0], t[0]], [t[2], t[2]]]
    if k == 'OTL':
        return [[torch.tensor([0, 1])]]
    if k == 'I':
        return [1, 0, 2, -1, 3]
    if k == 'IL':
        return [[0], [1], [3, 2], [2, 3], [1, 1], [6]]
    if k == 'F':
        return [0.5, 2.0]
    if k == 'FL':
        return [[0.5], [2.0, 2.0]]
    if k == 'S':
        return [2, 0.5]
    if k == 'B':
        return [False, True]
    if k == 'BL':
        return [[True, True, True]]
    if k == 'str':
        return ['sum', 'mean', 'floor', 'tanh', 'ij->ji', 'reflect', 'none', 'same']
    if k == 'dev':
        return ['cpu']
    if k == 'dtype':
        return [torch.float64]
    if k == 'mf':
        return [torch.contiguous_format]
    return None

def enc(v):
    if isinstance(v, torch.Tensor):
        if v.layout != torch.strided or v.dtype not in DTYPES:
            raise ValueError('dtype %s' % v.dtype)
        data = v.detach().double().tolist() if v.is_floating_point() else v.tolist()
        return {'dtype': DTYPES[v.dtype], 'shape': list(v.shape), 'data': data}
    if isinstance(v, torch.dtype):
        return DTYPES[v]
    if isinstance(v, torch.memory_format):
        return 'contiguous'
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError('non-finite')
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise ValueError('cannot encode %r' % type(v))

CODES = {0: 'uint8', 1: 'int8', 2: 'int16', 3: 'int32', 4: 'int64', 5: 'float16', 6: 'float32', 7: 'float64', 11: 'bool', 15: 'bfloat16'}

def result_of(o, values, out):
    """What the wrapper returns: self for in-place ops, a dtype's name for ScalarType results."""
    if o['inPlace']:
        return values[0]
    if o['returns'] == ['dtype'] and isinstance(out, int):
        return CODES[out]
    return list(out) if isinstance(out, tuple) else out

def finite(v):
    if isinstance(v, torch.Tensor):
        return not v.is_floating_point() or bool(torch.isfinite(v).all())
    if isinstance(v, (list, tuple)):
        return all(finite(x) for x in v)
    return not (isinstance(v, float) and not math.isfinite(v))

def dec(v):
    if isinstance(v, dict):
        return torch.tensor(v['data'], dtype=BY_NAME[v['dtype']]).reshape(v['shape'])
    if isinstance(v, list):
        return [dec(x) for x in v]
    return v

def packet(qualified):
    name, _, overload = qualified[len('aten::'):].partition('.')
    return getattr(getattr(torch.ops.aten, name), overload or 'default')

def clone(v):
    if isinstance(v, torch.Tensor):
        return v.clone()
    if isinstance(v, list):
        return [clone(x) for x in v]
    return v

def run(o, values, seeded):
    # positional until the first omitted argument (1.13's OpOverload takes `self` only by position)
    args, kwargs, positional = [], {}, True
    for a, v in zip(o['args'], values):
        if v is None and not a['nullable']:
            positional = False
            continue
        if positional and not a['kwargOnly']:
            args.append(v)
        else:
            kwargs[a['name']] = v
    if seeded:
        torch.manual_seed(0)
    out = packet(o['qualified'])(*args, **kwargs)
    return kwargs, out

def make_case(o):
    qualified = o['qualified']
    base = qualified[len('aten::'):].split('.')[0]
    if base in SKIP:
        return None, SKIP[base]
    seeded = any(r in base for r in RANDOM) or any(a['kind'] == 'gen' for a in o['args'])
    lists = []
    for a in o['args']:
        if a['optional'] or a['kind'] in ('gen', 'layout'):
            lists.append([None])
            continue
        c = candidates(a)
        if c is None:
            return None, 'no inputs for kind ' + a['kind']
        lists.append(c + ([None] if a['nullable'] else []))
    last = 'no combination ran'
    for values in itertools.islice(itertools.product(*lists), 300):
        values = [clone(v) for v in values]
        before = [clone(v) for v in values]
        try:
            kwargs, out = run(o, values, seeded)
        except Exception as e:
            last = str(e).split('\n')[0][:120]
            continue
        result = result_of(o, values, out)
        try:
            if not finite(result):
                last = 'non-finite result'
                continue
            expected = enc(result)
            inputs = [enc(v) for v in before]
        except Exception as e:
            last = str(e).split('\n')[0][:120]
            continue
        if 'empty' in base:
            return None, 'uninitialized values'
        return {'op': qualified, 'inputs': inputs, 'expected': expected, 'seeded': seeded}, None
    return None, last

def camel(s):
    import re
    return re.sub(r'_([a-z0-9])', lambda m: m.group(1).upper(), s)

def calls(manifest, cases):
    """How each wrapper is called: positional values (None = left out) and the options object."""
    out = []
    for group in ('tensor', 'torch', 'functional'):
        for e in manifest[group]:
            for o in e['overloads']:
                c = cases.get(o['qualified'])
                if c is None:
                    continue
                positional, options = [], {}
                for a, v in zip(o['args'], c['inputs']):
                    if a['kind'] in ('gen', 'layout'):
                        continue
                    if a['kwargOnly']:
                        if v is not None:
                            options[camel(a['name'])] = v
                    else:
                        positional.append(v)
                while positional and positional[-1] is None:
                    positional.pop()
                out.append({'group': group, 'name': e['camel'], 'op': o['qualified'], 'args': positional,
                            'options': options or None})
    return out

def same(a, b):
    if isinstance(a, torch.Tensor):
        if not isinstance(b, torch.Tensor) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_floating_point():
            return bool(torch.allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True))
        return bool(torch.equal(a, b))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return abs(a - b) <= 1e-7 * abs(a) + 1e-9
    return a == b

def check(path):
    fixture = json.load(open(path))
    differ = []
    manifest_ops = {o['qualified']: o for g in ('tensor', 'torch', 'functional')
                    for e in json.load(open(os.path.join(ROOT, 'lib', 'generated', 'manifest.json')))[g] for o in e['overloads']}
    for qualified, c in fixture['cases'].items():
        o = manifest_ops[qualified]
        values = [dec(v) for v in c['inputs']]
        try:
            _, out = run(o, values, c['seeded'])
            ok = same(dec(c['expected']), result_of(o, values, out))
        except Exception:
            ok = False
        if not ok:
            differ.append(qualified)
    json.dump(differ, sys.stdout)

def main(out_dir):
    manifest = json.load(open(os.path.join(ROOT, 'lib', 'generated', 'manifest.json')))
    ops = {}
    for g in ('tensor', 'torch', 'functional'):
        for e in manifest[g]:
            for o in e['overloads']:
                ops.setdefault(o['qualified'], o)
    cases, uncovered = {}, {}
    for qualified, o in sorted(ops.items()):
        c, why = make_case(o)
        if c:
            cases[qualified] = c
        else:
            uncovered[qualified] = why
    path = os.path.join(out_dir, 'generated.json')
    fixture = {'pytorch': torch.__version__.split('+')[0], 'cases': cases, 'calls': [], 'uncovered': uncovered}
    json.dump(fixture, open(path, 'w'))
    old = os.environ.get('OLD_PYTHON', '/usr/bin/python3')
    r = subprocess.run([old, __file__, '--check', path], capture_output=True, text=True)
    if r.returncode == 0:
        version = subprocess.run([old, '-c', 'import torch; print(torch.__version__)'], capture_output=True, text=True).stdout.strip()
        for q in json.loads(r.stdout):
            del cases[q]
            uncovered[q] = 'values differ between PyTorch %s and %s' % (fixture['pytorch'], version)
        fixture['checkedWith'] = version
    else:
        print('generated references: not checked against %s: %s' % (old, r.stderr.strip()[-300:]))
    fixture['calls'] = calls(manifest, cases)
    json.dump(fixture, open(path, 'w'), separators=(',', ':'))
    print('generated references: %d overloads with cases, %d uncovered, %d calls' % (len(cases), len(uncovered), len(fixture['calls'])))
    for q, why in sorted(uncovered.items()):
        print('  %s: %s' % (q, why))

if __name__ == '__main__':
    if sys.argv[1] == '--check':
        check(sys.argv[2])
    else:
        main(sys.argv[1])
