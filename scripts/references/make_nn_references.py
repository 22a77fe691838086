#!/usr/bin/env python3
"""Writes test/fixtures/nn-extra.json: what PyTorch computes for torchnode's nn, clipping, Adam,
RMSprop and learning-rate scheduler tests.

    python3 scripts/references/make_nn_references.py test/fixtures

Contents (tensors as {"dtype", "shape", "data"}, floats written exactly through float64):

  functional   per case: the function (torchnode's name), its inputs, options in torchnode's
               names, the output and, for some, the gradient of sum(output * seed) for the input
  modules      LayerNorm, GroupNorm and the losses as modules with given weights: the output
  clip         clip_grad_norm_ (2, 1 and inf norms, clipped and not) and clip_grad_value_:
               gradients before, the returned total norm and the gradients after
  optimizers   adam, rmsprop: per case options (and param groups), the parameters after every
               one of STEPS steps and the final state (parameters numbered across the groups
               in order, as state_dict() does), from torch.optim with foreach=True
  schedulers   per case: the scheduler(s) with options, 2 param groups (lr 0.1 and 0.02, SGD with
               momentum 0.9), get_last_lr() after construction and after each of 30 steps, and for
               OneCycleLR each group's momentum; ReduceLROnPlateau gets the listed metrics
The same values come from torch 1.13 and 2.x except where a test says why its tolerance is not 0.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

STEPS = 6


def enc(t):
    t = t.detach()
    name = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int64'}[t.dtype]
    data = t.double().tolist() if t.dtype != torch.int64 else t.tolist()
    return {'dtype': name, 'shape': list(t.shape), 'data': data}


def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def randn(shape, seed):
    return torch.randn(shape, generator=gen(seed))


def functional_cases():
    cases = []

    def add(name, inputs, options, grad, call):
        xs = [t.clone().requires_grad_(grad and i == 0) for i, t in enumerate(inputs)]
        out = call(*xs)
        case = {'fn': name, 'inputs': [enc(t) for t in inputs], 'options': options, 'output': enc(out)}
        if grad:
            seed = randn(list(out.shape), 99)
            (out * seed).sum().backward()
            case['seed'] = enc(seed)
            case['grad'] = enc(xs[0].grad)
        cases.append(case)

    x = randn([2, 3, 4], 1)
    w, b = randn([4], 2), randn([4], 3)
    add('layerNorm', [x], {'normalizedShape': [4]}, True, lambda t: F.layer_norm(t, [4]))
    add('layerNorm', [x, w, b], {'normalizedShape': [4]}, True, lambda t, w_, b_: F.layer_norm(t, [4], w_, b_))
    add('layerNorm', [x, randn([3, 4], 4), randn([3, 4], 5)], {'normalizedShape': [3, 4], 'eps': 1e-3}, True,
        lambda t, w_, b_: F.layer_norm(t, [3, 4], w_, b_, eps=1e-3))
    g = randn([2, 6, 3, 3], 6)
    add('groupNorm', [g, randn([6], 7), randn([6], 8)], {'numGroups': 3}, True,
        lambda t, w_, b_: F.group_norm(t, 3, w_, b_))
    add('groupNorm', [g], {'numGroups': 2, 'eps': 1e-2}, False, lambda t: F.group_norm(t, 2, eps=1e-2))
    p = randn([1, 2, 5, 5], 9)
    add('avgPool2d', [p], {'kernelSize': 2}, True, lambda t: F.avg_pool2d(t, 2))
    add('avgPool2d', [p], {'kernelSize': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False}, False,
        lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False))
    add('avgPool2d', [p], {'kernelSize': [2, 3], 'stride': [2, 1], 'ceilMode': True}, False,
        lambda t: F.avg_pool2d(t, (2, 3), (2, 1), ceil_mode=True))
    add('avgPool2d', [p], {'kernelSize': 2, 'divisorOverride': 3}, False, lambda t: F.avg_pool2d(t, 2, divisor_override=3))
    a = randn([3, 5], 10) * 3
    add('gelu', [a], {}, True, lambda t: F.gelu(t))
    add('gelu', [a], {'approximate': 'tanh'}, True, lambda t: F.gelu(t, approximate='tanh'))
    add('silu', [a], {}, True, lambda t: F.silu(t))
    im = randn([1, 2, 3, 4], 11)
    add('interpolate', [im], {'scaleFactor': 2, 'mode': 'nearest'}, True, lambda t: F.interpolate(t, scale_factor=2, mode='nearest'))
    add('interpolate', [im], {'size': [5, 7], 'mode': 'nearest'}, False, lambda t: F.interpolate(t, size=(5, 7), mode='nearest'))
    add('interpolate', [im], {'scaleFactor': [1.5, 0.5], 'mode': 'nearest'}, False,
        lambda t: F.interpolate(t, scale_factor=(1.5, 0.5), mode='nearest'))
    add('interpolate', [im], {'scaleFactor': 1.5, 'mode': 'bilinear', 'alignCorners': False}, True,
        lambda t: F.interpolate(t, scale_factor=1.5, mode='bilinear', align_corners=False))
    add('interpolate', [im], {'size': [5, 6], 'mode': 'bilinear', 'alignCorners': True}, False,
        lambda t: F.interpolate(t, size=(5, 6), mode='bilinear', align_corners=True))
    add('interpolate', [im], {'size': 2, 'mode': 'bilinear'}, False,
        lambda t: F.interpolate(t, size=2, mode='bilinear', align_corners=False))
    logits, target = randn([4, 3], 12), torch.rand([4, 3], generator=gen(13))
    wt, pw = torch.rand([4, 3], generator=gen(14)), torch.tensor([1.0, 2.0, 0.5])
    add('binaryCrossEntropyWithLogits', [logits, target], {}, True,
        lambda t, y: F.binary_cross_entropy_with_logits(t, y))
    for reduction in ['none', 'sum']:
        add('binaryCrossEntropyWithLogits', [logits, target, wt, pw], {'reduction': reduction}, True,
            lambda t, y, w_, p_: F.binary_cross_entropy_with_logits(t, y, weight=w_, pos_weight=p_, reduction=reduction))
    return cases


def module_cases():
    x = randn([4, 5], 20)
    labels = torch.tensor([0, 4, 2, 1])
    cw = torch.tensor([1.0, 2.0, 0.5, 1.5, 1.0])
    out = {
        'crossEntropy': {'input': enc(x), 'target': enc(labels), 'weight': enc(cw),
                         'plain': enc(torch.nn.CrossEntropyLoss()(x, labels)),
                         'weighted': enc(torch.nn.CrossEntropyLoss(weight=cw, label_smoothing=0.1)(x, labels)),
                         'ignore': enc(torch.nn.CrossEntropyLoss(ignore_index=4, reduction='sum')(x, labels))},
        'mse': {'input': enc(x), 'target': enc(randn([4, 5], 21)),
                'mean': enc(torch.nn.MSELoss()(x, randn([4, 5], 21))),
                'none': enc(torch.nn.MSELoss(reduction='none')(x, randn([4, 5], 21)))},
    }
    t = torch.rand([4, 5], generator=gen(22))
    pw = torch.tensor([2.0, 1.0, 1.0, 0.5, 3.0])
    out['bce'] = {'input': enc(x), 'target': enc(t), 'posWeight': enc(pw),
                  'output': enc(torch.nn.BCEWithLogitsLoss(pos_weight=pw)(x, t))}
    return out


def clip_cases():
    shapes = [[3, 4], [5], [2, 2, 2]]
    grads = [randn(s, 30 + i) for i, s in enumerate(shapes)]
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf)]:
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        params.insert(1, torch.zeros([2], requires_grad=True))  # one without a gradient
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        cases.append({'maxNorm': max_norm, 'normType': 'inf' if math.isinf(norm_type) else norm_type,
                      'total': enc(total), 'after': [enc(p.grad) for p in params if p.grad is not None]})
    params = [torch.zeros(s, requires_grad=True) for s in shapes]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(params, 0.5)
    return {'grads': [enc(g) for g in grads], 'norm': cases, 'value': {'clipValue': 0.5, 'after': [enc(p.grad) for p in params]}}


SNAKE = {'weightDecay': 'weight_decay', 'lr': 'lr', 'betas': 'betas', 'eps': 'eps', 'amsgrad': 'amsgrad',
         'alpha': 'alpha', 'momentum': 'momentum', 'centered': 'centered'}


def torch_options(o):
    return {SNAKE[k]: (tuple(v) if k == 'betas' else v) for k, v in o.items()}


def optimizer_inputs():
    shapes = [[3, 4], [4], [2, 3]]
    params = [randn(s, 40 + i) for i, s in enumerate(shapes)]
    grads = [[randn(s, 100 + 10 * k + i) * 0.5 for i, s in enumerate(shapes)] for k in range(STEPS)]
    return params, grads


def run_optimizer(cls, case, params0, grads):
    params = [p.clone().requires_grad_(True) for p in params0]
    groups = case.get('groups')
    spec = [{'params': params}] if groups is None else [
        {'params': [params[i] for i in g['params']], **torch_options({k: v for k, v in g.items() if k != 'params'})} for g in groups]
    opt = cls(spec, foreach=True, **torch_options(case['options']))
    trace = []
    for k in range(STEPS):
        for p, g in zip(params, grads[k]):
            p.grad = g.clone()
        opt.step()
        trace.append([enc(p) for p in params])
    # numbered across the groups in order, as PyTorch's state_dict() numbers them
    index = {id(p): i for i, p in enumerate(p for g in opt.param_groups for p in g['params'])}
    state = {}
    for p, s in opt.state.items():
        for name, v in s.items():
            if isinstance(v, torch.Tensor) and name != 'step':
                state['state.%d.%s' % (index[id(p)], name)] = enc(v)
    return {**case, 'params': trace, 'state': state}


ADAM_CASES = {
    'default': {'options': {'lr': 1e-2}},
    'amsgradDecay': {'options': {'lr': 1e-2, 'betas': [0.8, 0.99], 'weightDecay': 0.1, 'amsgrad': True}},
    'groups': {'options': {'lr': 1e-2, 'eps': 1e-6},
               'groups': [{'params': [0]}, {'params': [1, 2], 'lr': 5e-2, 'betas': [0.5, 0.9], 'weightDecay': 0.01}]},
}
RMSPROP_CASES = {
    'default': {'options': {'lr': 1e-2}},
    'centeredMomentum': {'options': {'lr': 1e-3, 'momentum': 0.9, 'centered': True, 'alpha': 0.9}},
    'weightDecay': {'options': {'lr': 1e-2, 'weightDecay': 0.05, 'eps': 1e-6}},
    'groups': {'options': {'lr': 1e-2},
               'groups': [{'params': [0, 2], 'momentum': 0.5}, {'params': [1], 'lr': 2e-3, 'centered': True, 'weightDecay': 0.1}]},
}

SCHED_STEPS = 30
LAMBDAS = {'pow': lambda e: 0.95 ** e, 'inverse': lambda e: 1.0 / (e + 1), 'step': lambda e: 0.9 ** (e // 3)}


def make_scheduler(opt, spec):
    kind, o = spec['kind'], spec.get('options', {})
    S = torch.optim.lr_scheduler
    if kind == 'StepLR':
        return S.StepLR(opt, step_size=o['stepSize'], gamma=o.get('gamma', 0.1))
    if kind == 'MultiStepLR':
        return S.MultiStepLR(opt, milestones=o['milestones'], gamma=o.get('gamma', 0.1))
    if kind == 'ExponentialLR':
        return S.ExponentialLR(opt, gamma=o['gamma'])
    if kind == 'LinearLR':
        return S.LinearLR(opt, start_factor=o.get('startFactor', 1 / 3), end_factor=o.get('endFactor', 1.0), total_iters=o.get('totalIters', 5))
    if kind == 'CosineAnnealingLR':
        return S.CosineAnnealingLR(opt, T_max=o['tMax'], eta_min=o.get('etaMin', 0.0))
    if kind == 'LambdaLR':
        fns = spec['lambdas']
        return S.LambdaLR(opt, LAMBDAS[fns] if isinstance(fns, str) else [LAMBDAS[f] for f in fns])
    if kind == 'OneCycleLR':
        return S.OneCycleLR(opt, max_lr=o['maxLr'], total_steps=o['totalSteps'], pct_start=o.get('pctStart', 0.3),
                            anneal_strategy=o.get('annealStrategy', 'cos'), three_phase=o.get('threePhase', False),
                            div_factor=o.get('divFactor', 25.0), final_div_factor=o.get('finalDivFactor', 1e4))
    if kind == 'SequentialLR':
        subs = [make_scheduler(opt, s) for s in spec['schedulers']]
        return S.SequentialLR(opt, subs, milestones=spec['milestones'])
    if kind == 'ReduceLROnPlateau':
        return S.ReduceLROnPlateau(opt, mode=o.get('mode', 'min'), factor=o.get('factor', 0.1), patience=o.get('patience', 10),
                                   threshold=o.get('threshold', 1e-4), threshold_mode=o.get('thresholdMode', 'rel'),
                                   cooldown=o.get('cooldown', 0), min_lr=o.get('minLr', 0))
    raise ValueError(kind)


PLATEAU_METRICS = [1.0, 0.9, 0.85, 0.86, 0.87, 0.88, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75,
                   0.76, 0.69, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]

SCHEDULER_CASES = {
    'step': {'kind': 'StepLR', 'options': {'stepSize': 7, 'gamma': 0.5}},
    'multiStep': {'kind': 'MultiStepLR', 'options': {'milestones': [5, 12, 12, 20], 'gamma': 0.3}},
    'exponential': {'kind': 'ExponentialLR', 'options': {'gamma': 0.9}},
    'linear': {'kind': 'LinearLR', 'options': {'startFactor': 0.25, 'endFactor': 1.0, 'totalIters': 8}},
    'linearDown': {'kind': 'LinearLR', 'options': {'startFactor': 1.0, 'endFactor': 0.1, 'totalIters': 20}},
    'cosine': {'kind': 'CosineAnnealingLR', 'options': {'tMax': 10, 'etaMin': 0.001}},
    'lambda': {'kind': 'LambdaLR', 'lambdas': 'pow'},
    'lambdaPerGroup': {'kind': 'LambdaLR', 'lambdas': ['inverse', 'step']},
    'oneCycle': {'kind': 'OneCycleLR', 'options': {'maxLr': [0.5, 0.1], 'totalSteps': 30}},
    'oneCycleThreePhase': {'kind': 'OneCycleLR', 'options': {'maxLr': 0.2, 'totalSteps': 30, 'threePhase': True,
                                                              'annealStrategy': 'linear', 'pctStart': 0.25}},
    'warmupCosine': {'kind': 'SequentialLR', 'milestones': [5],
                     'schedulers': [{'kind': 'LinearLR', 'options': {'startFactor': 0.1, 'totalIters': 5}},
                                    {'kind': 'CosineAnnealingLR', 'options': {'tMax': 25}}]},
    'sequentialThree': {'kind': 'SequentialLR', 'milestones': [4, 15],
                        'schedulers': [{'kind': 'ExponentialLR', 'options': {'gamma': 0.8}},
                                       {'kind': 'StepLR', 'options': {'stepSize': 3, 'gamma': 0.5}},
                                       {'kind': 'MultiStepLR', 'options': {'milestones': [3, 6], 'gamma': 0.2}}]},
    'plateau': {'kind': 'ReduceLROnPlateau', 'options': {'patience': 2, 'factor': 0.5, 'cooldown': 1, 'minLr': [0.01, 0.001]},
                'metrics': PLATEAU_METRICS},
    'plateauMaxAbs': {'kind': 'ReduceLROnPlateau', 'options': {'mode': 'max', 'thresholdMode': 'abs', 'threshold': 0.05, 'patience': 1},
                      'metrics': [-m for m in PLATEAU_METRICS]},
}


def run_scheduler(spec):
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    opt = torch.optim.SGD([{'params': [params[0]], 'lr': 0.1}, {'params': [params[1]], 'lr': 0.02}], lr=0.1, momentum=0.9)
    sched = make_scheduler(opt, spec)
    lrs = [list(sched.get_last_lr()) if hasattr(sched, 'get_last_lr') and hasattr(sched, '_last_lr') else [g['lr'] for g in opt.param_groups]]
    momenta = [[g['momentum'] for g in opt.param_groups]]
    for k in range(SCHED_STEPS):
        opt.step()
        if spec['kind'] == 'ReduceLROnPlateau':
            sched.step(spec['metrics'][k])
            lrs.append([g['lr'] for g in opt.param_groups])
        else:
            sched.step()
            lrs.append(list(sched.get_last_lr()))
        momenta.append([g['momentum'] for g in opt.param_groups])
    out = {**spec, 'lrs': lrs}
    if spec['kind'] == 'OneCycleLR':
        out['momenta'] = momenta
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures'
    params, grads = optimizer_inputs()
    fixture = {
        'torch': torch.__version__,
        'functional': functional_cases(),
        'modules': module_cases(),
        'clip': clip_cases(),
        'optimizers': {
            'params': [enc(p) for p in params],
            'grads': [[enc(g) for g in step] for step in grads],
            'adam': {k: run_optimizer(torch.optim.Adam, c, params, grads) for k, c in ADAM_CASES.items()},
            'rmsprop': {k: run_optimizer(torch.optim.RMSprop, c, params, grads) for k, c in RMSPROP_CASES.items()},
        },
        'schedulers': {k: run_scheduler(c) for k, c in SCHEDULER_CASES.items()},
    }
    path = os.path.join(out_dir, 'nn-extra.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, allow_nan=False)
    print('wrote', path)


if __name__ == '__main__':
    main()
