// optim.lrScheduler against torch.optim.lr_scheduler (test/fixtures/nn-extra.json, written by
// scripts/references/make_nn_references.py): get_last_lr() after construction and after each
// of 30 steps, two parameter groups with their own base rates, OneCycleLR's momentum; state
// dicts resumed halfway; option errors. The formulas are PyTorch's, term for term, in float64;
// V8's Math.cos and ** are not glibc's cos and pow (they differ in the last bit at some inputs,
// and the recursive forms carry that on), so rates agree to 1e-13 relative, not bit for bit.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';

const { optim } = torch;
const S = optim.lrScheduler;

interface Spec {
  kind: string;
  options?: Record<string, any>;
  lambdas?: string | string[];
  schedulers?: Spec[];
  milestones?: number[];
  metrics?: number[];
  lrs: number[][];
  momenta?: number[][];
}

const REL = 1e-13;

function assertLrs(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: one rate per group`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Math.abs(a - e) > REL * Math.abs(e)) assert.fail(`${what}, group ${i}: ${a}, expected ${e} (within ${REL} relative)`);
  });
}

const fx = loadFixture<{ schedulers: Record<string, Spec> }>('nn-extra.json');

// the same functions as LAMBDAS in the Python script
const LAMBDAS: Record<string, (e: number) => number> = {
  pow: (e) => 0.95 ** e,
  inverse: (e) => 1.0 / (e + 1),
  step: (e) => 0.9 ** Math.floor(e / 3),
};

function makeOptimizer(): torch.optim.SGD {
  return new optim.SGD([{ params: [torch.zeros([2], { requiresGrad: true })], lr: 0.1 },
    { params: [torch.zeros([3], { requiresGrad: true })], lr: 0.02 }], { lr: 0.1, momentum: 0.9 });
}

function make(opt: torch.optim.SGD, spec: Spec): torch.optim.lrScheduler.LRScheduler {
  const o = spec.options ?? {};
  switch (spec.kind) {
    case 'StepLR': return new S.StepLR(opt, o as never);
    case 'MultiStepLR': return new S.MultiStepLR(opt, o as never);
    case 'ExponentialLR': return new S.ExponentialLR(opt, o as never);
    case 'LinearLR': return new S.LinearLR(opt, o);
    case 'CosineAnnealingLR': return new S.CosineAnnealingLR(opt, o as never);
    case 'LambdaLR': {
      const l = spec.lambdas!;
      return new S.LambdaLR(opt, { lrLambda: typeof l === 'string' ? LAMBDAS[l]! : l.map((n) => LAMBDAS[n]!) });
    }
    case 'OneCycleLR': return new S.OneCycleLR(opt, o as never);
    case 'SequentialLR': return new S.SequentialLR(opt, { schedulers: spec.schedulers!.map((s) => make(opt, s)), milestones: spec.milestones! });
    case 'ReduceLROnPlateau': return new S.ReduceLROnPlateau(opt, o);
    default: throw new Error(`no scheduler ${spec.kind}`);
  }
}

function stepOnce(s: torch.optim.lrScheduler.LRScheduler, spec: Spec, k: number): void {
  if (s instanceof S.ReduceLROnPlateau) s.step(spec.metrics![k]!);
  else s.step();
}

for (const [name, spec] of Object.entries(fx.schedulers)) {
  test(`${spec.kind} ${name}: each group's rate after every step is PyTorch's`, () => {
    const opt = makeOptimizer();
    const s = make(opt, spec);
    assertLrs(s.getLastLr(), spec.lrs[0]!, 'after construction');
    for (let k = 0; k < spec.lrs.length - 1; k++) {
      stepOnce(s, spec, k);
      assertLrs(s.getLastLr(), spec.lrs[k + 1]!, `after step ${k + 1}`);
      assert.deepEqual(opt.paramGroups.map((g) => g.lr), s.getLastLr(), `the groups' lr after step ${k + 1}`);
      if (spec.momenta) assertLrs(opt.paramGroups.map((g) => g.momentum), spec.momenta[k + 1]!, `momentum after step ${k + 1}`);
    }
    opt.dispose();
  });

  test(`${spec.kind} ${name}: resuming from a state dict (through JSON) after 13 steps continues the same rates`, () => {
    const a = makeOptimizer();
    const sa = make(a, spec);
    for (let k = 0; k < 13; k++) stepOnce(sa, spec, k);
    const saved = JSON.parse(JSON.stringify({ optim: a.stateDict().meta, sched: sa.stateDict() }));
    const b = makeOptimizer();
    const sb = make(b, spec);
    b.loadStateDict({ meta: saved.optim, tensors: {} });
    sb.loadStateDict(saved.sched);
    assertLrs(sb.getLastLr(), spec.lrs[13]!, 'after loading');
    for (let k = 13; k < spec.lrs.length - 1; k++) {
      stepOnce(sa, spec, k);
      stepOnce(sb, spec, k);
      assert.deepEqual(sb.getLastLr(), sa.getLastLr(), `after step ${k + 1}, the same as the uninterrupted run`);
      assertLrs(sb.getLastLr(), spec.lrs[k + 1]!, `after step ${k + 1}`);
    }
    a.dispose();
    b.dispose();
  });
}

test('scheduler options and state are checked with clear messages', () => {
  const opt = makeOptimizer();
  assert.throws(() => new S.StepLR({} as never, { stepSize: 1 }),
    { name: 'TypeError', message: 'Expected an Optimizer for optimizer of StepLR but received an object of type Object' });
  assert.throws(() => new S.StepLR(opt, { stepSize: 0 }), { name: 'TypeError', message: 'Expected a positive integer for stepSize but received 0 of type number' });
  assert.throws(() => new S.StepLR(opt, { stepSize: 2, gama: 0.1 } as never),
    { name: 'TypeError', message: "Unknown option 'gama' for StepLR; its options are stepSize, gamma" });
  assert.throws(() => new S.LinearLR(opt, { startFactor: 0 }), { name: 'TypeError', message: 'Expected a number in (0, 1] for startFactor but received 0 of type number' });
  assert.throws(() => new S.LambdaLR(opt, { lrLambda: [(e: number) => e] }),
    { name: 'TypeError', message: 'Expected 2 functions for lrLambda but received an array of length 1' });
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: 0.1 }), { name: 'TypeError', message: 'Expected totalSteps, or epochs and stepsPerEpoch, for OneCycleLR' });
  const one = new S.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 2 });
  one.step();
  one.step();
  assert.throws(() => one.step(), { name: 'RangeError', message: 'Tried to step 3 times. The specified number of total steps is 2' });
  const plateau = new S.ReduceLROnPlateau(opt);
  assert.throws(() => plateau.step(), { name: 'TypeError', message: 'Expected a number for metric but received undefined' });
  const step = new S.StepLR(opt, { stepSize: 2 });
  assert.throws(() => step.loadStateDict(plateau.stateDict()),
    { name: 'TypeError', message: "Expected a state dict of StepLR for state but received one of 'ReduceLROnPlateau' of type string" });
  assert.throws(() => new S.SequentialLR(opt, { schedulers: [step], milestones: [3] }),
    { name: 'TypeError', message: 'Expected 0 non-negative integer milestones for milestones but received an array of length 1' });
  assert.throws(() => new S.SequentialLR(opt, { schedulers: [plateau], milestones: [] }), { name: 'TypeError' });
  opt.dispose();
});

test('OneCycleLR cycles Adam\'s beta1 and keeps beta2; cycleMomentum: false leaves them', () => {
  const p = torch.zeros([2], { requiresGrad: true });
  const adam = new optim.Adam([p], { lr: 0.01, betas: [0.9, 0.99] });
  const s = new S.OneCycleLR(adam, { maxLr: 0.1, totalSteps: 10 });
  assert.deepEqual(adam.paramGroups[0]!.betas, [0.95, 0.99]);
  s.step();
  assert.ok(adam.paramGroups[0]!.betas[0] < 0.95);
  assert.equal(adam.paramGroups[0]!.betas[1], 0.99);
  const adam2 = new optim.Adam([torch.zeros([2], { requiresGrad: true })], { betas: [0.9, 0.99] });
  new S.OneCycleLR(adam2, { maxLr: 0.1, totalSteps: 10, cycleMomentum: false }).step();
  assert.deepEqual(adam2.paramGroups[0]!.betas, [0.9, 0.99]);
  const rms = new optim.RMSprop([torch.zeros([1], { requiresGrad: true })]);
  new S.OneCycleLR(rms, { maxLr: 0.1, totalSteps: 10 });
  assert.equal(rms.paramGroups[0]!.momentum, 0.95, "RMSprop's momentum is cycled");
});
