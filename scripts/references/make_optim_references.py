#!/usr/bin/env python3
"""Writes test/fixtures/optim.json: what torch.optim computes, for torchnode's optimizer tests.

    /usr/bin/python3 scripts/references/make_optim_references.py test/fixtures

Contents (tensors as {"dtype", "shape", "data"}, floats written exactly through float64):

  params, grads, lrScale   three float32 parameters, a gradient for each of STEPS steps (null
                           where the parameter has no gradient that step: it is skipped) and a
                           factor applied to every group's base lr before each step
  sgd, adamw               per case: options (torchnode's names), optional param groups, the
                           parameters after every step, and the final optimizer state under
                           torchnode's keys (state.<i>.<name>), from torch.optim.SGD / AdamW
                           with foreach=True (the multi-tensor code torchnode follows).
                           'decoupled' is SGDW: p.mul_(1 - lr * wd) on parameters with a
                           gradient before a plain SGD step (PyTorch 1.13 has no SGDW).
  oneCycle, multiStep      per case: options and get_last_lr() at steps 0..N from
                           torch.optim.lr_scheduler.OneCycleLR / MultiStepLR
  gradScaler               scales, skipped steps and parameters over a run with inf and NaN
                           gradients in the middle. torch.cuda.amp.GradScaler's own Python
                           (scale, unscale_, step, update and their stage checks) drives it,
                           on the CPU: its two CUDA-only kernels are replaced by Python
                           mirrors of aten/src/ATen/native/cuda/AmpKernels.cu (1.13).
"""
import json
import math
import os
import sys
from collections import defaultdict

import torch

STEPS = 6
SHAPES = [[3, 4], [4], [2, 3, 2]]
# (step, parameter) pairs without a gradient
MISSING = {(0, 2), (3, 2), (4, 0)}
LR_SCALE = [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]


def enc(t):
    t = t.detach()
    name = {torch.float32: 'float32', torch.float64: 'float64'}[t.dtype]
    return {'dtype': name, 'shape': list(t.shape), 'data': t.double().tolist()}


def generator(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def inputs():
    g = generator(1234)
    params = [torch.randn(s, generator=g) for s in SHAPES]
    grads = [[None if (k, i) in MISSING else torch.randn(s, generator=g) * 0.5 for i, s in enumerate(SHAPES)]
             for k in range(STEPS)]
    return params, grads


SNAKE = {'weightDecay': 'weight_decay', 'lr': 'lr', 'momentum': 'momentum', 'dampening': 'dampening',
         'nesterov': 'nesterov', 'betas': 'betas', 'eps': 'eps', 'amsgrad': 'amsgrad'}


def torch_options(options):
    # SGDW's decay is applied by hand (run_optimizer), so torch's SGD must not decay as well
    skip = {'decoupledWeightDecay', 'weightDecay'} if options.get('decoupledWeightDecay') else {'decoupledWeightDecay'}
    return {SNAKE[k]: (tuple(v) if k == 'betas' else v) for k, v in options.items() if k not in skip}


def run_optimizer(cls, options, groups, params0, grads):
    params = [p.clone().requires_grad_(True) for p in params0]
    if groups is None:
        spec = [{'params': params}]
    else:
        spec = [{'params': [params[i] for i in g['params']], **torch_options({k: v for k, v in g.items() if k != 'params'})}
                for g in groups]
    opt = cls(spec, foreach=True, **torch_options(options))
    base = [g['lr'] for g in opt.param_groups]
    decoupled = options.get('decoupledWeightDecay', False)
    trace = []
    for k in range(STEPS):
        for p, g in zip(params, grads[k]):
            p.grad = None if g is None else g.clone()
        for group, lr in zip(opt.param_groups, base):
            group['lr'] = lr * LR_SCALE[k]
        if decoupled:
            with torch.no_grad():
                for group in opt.param_groups:
                    for p in group['params']:
                        if p.grad is not None:
                            p.mul_(1 - group['lr'] * options['weightDecay'])
        opt.step()
        trace.append([enc(p) for p in params])
    state = {}
    index = {id(p): i for i, p in enumerate(params)}
    for p, s in opt.state.items():
        for name, v in s.items():
            if isinstance(v, torch.Tensor):
                state['state.%d.%s' % (index[id(p)], name)] = enc(v)
    return {'params': trace, 'state': state}


SGD_CASES = {
    'plain': {'options': {'lr': 0.1}},
    'momentum': {'options': {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.1}},
    'nesterov': {'options': {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weightDecay': 1e-2}},
    'weightDecay': {'options': {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 5e-2}},
    'decoupled': {'options': {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 5e-2, 'decoupledWeightDecay': True}},
    'groups': {'options': {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 1e-2},
               'groups': [{'params': [0, 1]}, {'params': [2], 'lr': 0.02, 'weightDecay': 0.0}]},
}

ADAMW_CASES = {
    'default': {'options': {'lr': 1e-2}},
    'amsgrad': {'options': {'lr': 1e-2, 'betas': [0.8, 0.99], 'weightDecay': 0.1, 'amsgrad': True}},
    'noDecay': {'options': {'lr': 3e-2, 'weightDecay': 0.0, 'eps': 1e-6}},
    'groups': {'options': {'lr': 1e-2},
               'groups': [{'params': [0]}, {'params': [1, 2], 'lr': 5e-2, 'betas': [0.5, 0.9], 'weightDecay': 0.0}]},
}

ONE_CYCLE_CASES = [
    {'maxLr': 0.1, 'totalSteps': 100},
    {'maxLr': 0.4, 'totalSteps': 37, 'pctStart': 0.25, 'annealStrategy': 'linear'},
    {'maxLr': 1.0, 'totalSteps': 50, 'threePhase': True, 'divFactor': 10.0, 'finalDivFactor': 100.0},
    {'maxLr': 0.05, 'totalSteps': 7, 'pctStart': 0.5},
    {'maxLr': 2.0, 'totalSteps': 23, 'pctStart': 0.4, 'threePhase': True, 'annealStrategy': 'linear'},
]

MULTI_STEP_CASES = [
    {'options': {'baseLr': 0.1, 'milestones': [3, 7, 7, 12], 'gamma': 0.5}, 'steps': 20},
    {'options': {'baseLr': 1.0, 'milestones': [0, 5]}, 'steps': 8},
    {'options': {'baseLr': 0.3, 'milestones': [2, 4, 6, 8], 'gamma': 0.1}, 'steps': 12},
]


def dummy_optimizer(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)


def one_cycle(o):
    opt = dummy_optimizer(o['maxLr'])
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=o['maxLr'], total_steps=o['totalSteps'], pct_start=float(o.get('pctStart', 0.3)),
        anneal_strategy=o.get('annealStrategy', 'cos'), div_factor=o.get('divFactor', 25.0),
        final_div_factor=o.get('finalDivFactor', 1e4), three_phase=o.get('threePhase', False))
    lrs = [sched.get_last_lr()[0]]
    for _ in range(o['totalSteps']):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return {'options': o, 'lrs': lrs}


def multi_step(case):
    o = case['options']
    opt = dummy_optimizer(o['baseLr'])
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=o['milestones'], gamma=o.get('gamma', 0.1))
    lrs = [sched.get_last_lr()[0]]
    for _ in range(case['steps']):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return {'options': o, 'lrs': lrs}


# --- GradScaler on the CPU ---------------------------------------------------------------

def amp_update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval):
    """amp_update_scale_cuda_kernel: float scale times a double factor, narrowed to float."""
    s = scale.item()
    if found_inf.item():
        scale.fill_(s * backoff_factor)
        growth_tracker.fill_(0)
    else:
        successful = int(growth_tracker.item()) + 1
        if successful == growth_interval:
            grown = torch.tensor(s * growth_factor, dtype=torch.float32).item()
            if math.isfinite(grown):
                scale.fill_(grown)
            growth_tracker.fill_(0)
        else:
            growth_tracker.fill_(successful)
    return scale


# 1.13 keeps the scaler's helpers in torch.cuda.amp.grad_scaler, 2.x in torch.amp.grad_scaler
_refresh_per_optimizer_state = getattr(torch.cuda.amp.grad_scaler, '_refresh_per_optimizer_state', None) or \
    __import__('torch.amp.grad_scaler', fromlist=['_refresh_per_optimizer_state'])._refresh_per_optimizer_state


class CpuGradScaler(torch.cuda.amp.GradScaler):
    """torch.cuda.amp.GradScaler with its CUDA-only pieces swapped for CPU equivalents."""

    def __init__(self, **kw):
        super().__init__(enabled=False)
        self._enabled = True
        self._init_scale = kw.get('init_scale', 2.0 ** 16)
        self._scale = None
        self._growth_factor = kw.get('growth_factor', 2.0)
        self._backoff_factor = kw.get('backoff_factor', 0.5)
        self._growth_interval = kw.get('growth_interval', 2000)
        self._init_growth_tracker = 0
        self._growth_tracker = None
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def scale(self, outputs):
        if self._scale is None:
            self._lazy_init_scale_growth_tracker(outputs.device)
        return outputs * self._scale

    def _unscale_grads_(self, optimizer, inv_scale, found_inf, allow_fp16):
        """_amp_foreach_non_finite_check_and_unscale_: flag non-finite values, multiply by inv_scale."""
        with torch.no_grad():
            for group in optimizer.param_groups:
                for p in group['params']:
                    if p.grad is None:
                        continue
                    if not torch.isfinite(p.grad).all():
                        found_inf.fill_(1.0)
                    if inv_scale.item() != 1.0:
                        p.grad.mul_(inv_scale)
        return {found_inf.device: found_inf}


def grad_scaler(params0):
    torch._amp_update_scale_ = amp_update_scale_
    options = {'initScale': 1024.0, 'growthFactor': 2.0, 'backoffFactor': 0.5, 'growthInterval': 3}
    g = generator(99)
    xs = [[torch.randn(s, generator=g) for s in SHAPES] for _ in range(10)]
    # JSON has no inf or NaN: the test writes these into its copies of the inputs itself
    poison = [{'step': 4, 'param': 1, 'index': 2, 'value': 'inf'}, {'step': 5, 'param': 0, 'index': 5, 'value': 'nan'}]
    clean = [[enc(t) for t in x] for x in xs]
    for q in poison:
        xs[q['step']][q['param']].view(-1)[q['index']] = float(q['value'])
    params = [p.clone().requires_grad_(True) for p in params0]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    scaler = CpuGradScaler(init_scale=options['initScale'], growth_factor=options['growthFactor'],
                           backoff_factor=options['backoffFactor'], growth_interval=options['growthInterval'])
    steps = []
    for x in xs:
        opt.zero_grad(set_to_none=True)
        loss = sum((p * xi).sum() for p, xi in zip(params, x))
        scale = scaler.get_scale()
        scaler.scale(loss).backward()
        before = [p.detach().clone() for p in params]
        scaler.step(opt)
        stepped = any(not torch.equal(a, p) for a, p in zip(before, params))
        scaler.update()
        steps.append({'scaleBefore': scale, 'stepped': stepped, 'scaleAfter': scaler.get_scale(),
                      'params': [enc(p) for p in params]})
    return {'options': options, 'sgd': {'lr': 0.1, 'momentum': 0.9}, 'inputs': clean, 'poison': poison,
            'steps': steps, 'state': scaler.state_dict()}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures'
    params, grads = inputs()
    fixture = {
        'torch': torch.__version__,
        'params': [enc(p) for p in params],
        'grads': [[None if g is None else enc(g) for g in step] for step in grads],
        'lrScale': LR_SCALE,
        'sgd': {name: {**c, **run_optimizer(torch.optim.SGD, c['options'], c.get('groups'), params, grads)}
                for name, c in SGD_CASES.items()},
        'adamw': {name: {**c, **run_optimizer(torch.optim.AdamW, c['options'], c.get('groups'), params, grads)}
                  for name, c in ADAMW_CASES.items()},
        'oneCycle': [one_cycle(o) for o in ONE_CYCLE_CASES],
        'multiStep': [multi_step(c) for c in MULTI_STEP_CASES],
        'gradScaler': grad_scaler(params),
    }
    path = os.path.join(out_dir, 'optim.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, allow_nan=False)
    print('wrote', path)


if __name__ == '__main__':
    main()
