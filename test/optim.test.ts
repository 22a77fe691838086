// torch.optim against PyTorch 1.13 (test/fixtures/optim.json, written by
// scripts/references/make_optim_references.py): SGD and AdamW parameters after every step and
// their final state, OneCycleLR and MultiStepLR rates, and a GradScaler run whose gradients
// overflow midway. Also state-dict round trips (in memory and through torch.save), option
// validation, tensor lifetimes, and the EMA against float64 arithmetic done here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

import { assertClose, loadFixture } from './helpers.js';
import { expectRef, flatData, fromRef, type Ref } from './reference.js';

const optim = torch.optim;
type T = torch.Tensor;

interface OptimCase {
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  params: Ref[][];
  state: Record<string, Ref>;
}
interface LrCase<O> {
  options: O;
  lrs: number[];
}
interface ScalerStep {
  scaleBefore: number;
  stepped: boolean;
  scaleAfter: number;
  params: Ref[];
}
interface Fixture {
  torch: string;
  params: Ref[];
  grads: (Ref | null)[][];
  lrScale: number[];
  sgd: Record<string, OptimCase>;
  adamw: Record<string, OptimCase>;
  oneCycle: LrCase<torch.optim.OneCycleOptions>[];
  multiStep: LrCase<torch.optim.MultiStepOptions>[];
  gradScaler: {
    options: torch.optim.GradScalerOptions;
    sgd: { lr: number; momentum: number };
    inputs: Ref[][];
    poison: { step: number; param: number; index: number; value: 'inf' | 'nan' }[];
    steps: ScalerStep[];
    state: { scale: number; growth_factor: number; backoff_factor: number; growth_interval: number; _growth_tracker: number };
  };
}

const fx = loadFixture<Fixture>('optim.json');
// torch.optim's own arithmetic, within two float32 ulps: bit for bit on the CPU that made the fixture
// (AVX-512), one ulp off in AdamW's sqrt/div on an AVX2-only CPU (AMD EPYC, 2026-12-05), whose kernels round differently
const EXACT = { rtol: 2.5e-7, atol: 0 };
const KINDS = { sgd: 'SGD', adamw: 'AdamW' } as const;
type Kind = keyof typeof KINDS;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-optim-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function freshParams(): T[] {
  return fx.params.map((r) => fromRef(r, { requiresGrad: true }));
}

function makeOptimizer(kind: Kind, c: OptimCase, params: T[]): torch.optim.SGD | torch.optim.AdamW {
  const groups = c.groups?.map(({ params: at, ...rest }) => ({ ...rest, params: at.map((i) => params[i]!) }));
  return kind === 'sgd'
    ? new optim.SGD(groups ?? params, c.options as torch.optim.SGDOptions)
    : new optim.AdamW(groups ?? params, c.options as torch.optim.AdamWOptions);
}

/** The fixture's step k: its gradients (none where the fixture has null) and lr scale, then step(). */
function stepAt(opt: torch.optim.SGD | torch.optim.AdamW, params: T[], baseLrs: number[], k: number): void {
  torch.tidy(() => {
    params.forEach((p, i) => {
      const g = fx.grads[k]![i];
      p.grad = g ? fromRef(g) : null;
    });
    opt.paramGroups.forEach((g, i) => (g.lr = baseLrs[i]! * fx.lrScale[k]!));
    opt.step();
  });
}

const bits = (t: T): number[] => Array.from(t.toTypedArray() as Float32Array);

for (const kind of Object.keys(KINDS) as Kind[]) {
  for (const [name, c] of Object.entries(fx[kind])) {
    test(`${KINDS[kind]} ${name}: parameters after each step and the final state match torch.optim`, () => {
      const params = freshParams();
      const opt = makeOptimizer(kind, c, params);
      const baseLrs = opt.paramGroups.map((g) => g.lr);
      c.params.forEach((expected, k) => {
        stepAt(opt, params, baseLrs, k);
        params.forEach((p, i) => expectRef(p, expected[i]!, `step ${k} param ${i}`, EXACT));
      });
      torch.tidy(() => {
        const { tensors } = opt.stateDict();
        assert.deepEqual([...tensors.keys()].sort(), Object.keys(c.state).sort(), 'state keys are PyTorch\'s');
        for (const [key, t] of tensors) expectRef(t, c.state[key]!, key, EXACT);
      });
      opt.dispose();
    });

    test(`${KINDS[kind]} ${name}: stopping after 3 steps and resuming from a state dict changes nothing`, () => {
      const paramsA = freshParams();
      const a = makeOptimizer(kind, c, paramsA);
      const baseLrs = a.paramGroups.map((g) => g.lr);
      for (let k = 0; k < 3; k++) stepAt(a, paramsA, baseLrs, k);

      // in memory, with the JSON half through JSON
      const paramsB = paramsA.map((p) => p.detach().clone().requiresGrad_(true));
      const b = makeOptimizer(kind, c, paramsB);
      torch.tidy(() => {
        const { meta, tensors } = a.stateDict();
        b.loadStateDict({ meta: JSON.parse(JSON.stringify(meta)), tensors });
      });

      // through a safetensors checkpoint
      const file = path.join(dir, `${kind}-${name}.safetensors`);
      torch.tidy(() => {
        const { meta, tensors } = a.stateDict();
        torch.save(tensors, file, { metadata: { optim: JSON.stringify(meta) } });
      });
      const paramsC = paramsA.map((p) => p.detach().clone().requiresGrad_(true));
      const cOpt = makeOptimizer(kind, { ...c, options: { ...c.options, lr: 123 } }, paramsC);
      torch.tidy(() => cOpt.loadStateDict({ meta: JSON.parse(torch.loadMetadata(file).optim!), tensors: torch.load(file) }));

      for (let k = 3; k < c.params.length; k++) {
        stepAt(a, paramsA, baseLrs, k);
        stepAt(b, paramsB, baseLrs, k);
        stepAt(cOpt, paramsC, baseLrs, k);
      }
      paramsA.forEach((p, i) => {
        assert.deepEqual(bits(paramsB[i]!), bits(p), `param ${i}: resumed in memory`);
        assert.deepEqual(bits(paramsC[i]!), bits(p), `param ${i}: resumed from a checkpoint`);
        expectRef(p, c.params.at(-1)![i]!, `param ${i} after the uninterrupted run`, EXACT);
      });
    });
  }
}

test('optimizers: step() inside torch.tidy keeps the state, and steps leak no tensors', () => {
  const params = freshParams();
  for (const opt of [new optim.SGD(params, { lr: 0.1, momentum: 0.9 }), new optim.AdamW(params, { amsgrad: true })]) {
    const live = (): number => torch.memory().liveTensors;
    for (let k = 0; k < 2; k++) stepAt(opt, params, [0.1], k);
    const before = live();
    for (let k = 2; k < 6; k++) stepAt(opt, params, [0.1], k);
    assert.equal(live(), before, 'live tensors after four more steps');
    torch.tidy(() => {
      for (const t of opt.stateDict().tensors.values()) assert.ok(!t.isDisposed);
    });
    opt.dispose();
  }
});

test('optimizers: zeroGrad clears the gradients; lr sets every group; parameters without a gradient stay put', () => {
  const params = freshParams();
  const opt = new optim.SGD([{ params: [params[0]!] }, { params: [params[1]!, params[2]!], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.1, 0.5]);
  assert.equal(opt.lr, 0.1);
  opt.lr = 0.01;
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.01, 0.01]);
  const before = bits(params[2]!);
  torch.tidy(() => {
    params[0]!.grad = torch.onesLike(params[0]!);
    params[1]!.grad = torch.onesLike(params[1]!);
    opt.step();
  });
  assert.deepEqual(bits(params[2]!), before);
  torch.tidy(() => assert.deepEqual([...opt.stateDict().tensors.keys()], ['state.0.momentum_buffer', 'state.1.momentum_buffer']));
  opt.zeroGrad();
  assert.ok(params.every((p) => p.grad === undefined));
  opt.dispose();
});

test('optimizers: options are checked, with messages naming the option and the value', () => {
  const params = freshParams();
  const cases: [() => unknown, string | RegExp][] = [
    [() => new optim.SGD(params, {} as torch.optim.SGDOptions), 'Expected a non-negative number for lr but received undefined'],
    [() => new optim.SGD(params, { lr: -1 }), 'Expected a non-negative number for lr but received -1 of type number'],
    [() => new optim.SGD(params, { lr: 0.1, momentum: '0.9' as unknown as number }), "Expected a non-negative number for momentum but received '0.9' of type string"],
    [() => new optim.SGD(params, { lr: 0.1, nesterov: true }),
      'Expected a positive momentum and zero dampening for nesterov in SGD() but received momentum 0 and dampening 0'],
    [() => new optim.SGD(params, { lr: 0.1, momentun: 0.9 } as torch.optim.SGDOptions),
      "Unknown option 'momentun' for SGD(); its options are lr, momentum, dampening, weightDecay, nesterov, decoupledWeightDecay"],
    [() => new optim.SGD([{ params, weightDecay: -1 }], { lr: 0.1 }), 'Expected a non-negative number for weightDecay but received -1 of type number'],
    [() => new optim.SGD([], { lr: 0.1 }), 'Expected a non-empty array of Tensors or parameter groups for params but received an array of length 0'],
    [() => new optim.SGD([torch.zeros([2], { dtype: 'int64' })], { lr: 0.1 }), 'Expected a floating-point Tensor for params[0] but received one of int64'],
    [() => new optim.SGD([params[0]!, params[0]!], { lr: 0.1 }), 'Expected each parameter once for params[1] but received one that appears earlier'],
    [() => new optim.AdamW(params, { betas: [0.9, 1] }), 'Expected two numbers in [0, 1) for betas but received 1 of type number'],
    [() => new optim.AdamW(params, { eps: -1e-8 }), 'Expected a non-negative number for eps but received -1e-8 of type number'],
    [() => new optim.AdamW(params, 3 as unknown as torch.optim.AdamWOptions), 'Expected an options object for AdamW() but received 3 of type number'],
    [() => { new optim.AdamW(params).lr = Number.NaN; }, 'Expected a non-negative number for lr but received NaN of type number'],
    [() => optim.oneCycle({ maxLr: 0.1 } as torch.optim.OneCycleOptions), 'Expected a positive integer for totalSteps but received undefined'],
    [() => optim.oneCycle({ maxLr: 0.1, totalSteps: 10, annealStrategy: 'cosine' as 'cos' }),
      "Expected 'cos' or 'linear' for annealStrategy but received 'cosine' of type string"],
    [() => optim.oneCycle({ maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), 'Expected a number in [0, 1] for pctStart but received 1.5 of type number'],
    [() => optim.oneCycle({ maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }), /^Expected a pctStart that gives every phase a length for pctStart but received 0.1 of type number/],
    [() => optim.oneCycle({ maxLr: 0.1, totalSteps: 10 })(11), 'Expected a number in [0, 10] for the step of oneCycle() but received 11 of type number'],
    [() => optim.cosineWithWarmup({ baseLr: 0.1, warmupSteps: 20, totalSteps: 10 }), 'Expected at most totalSteps (10) for warmupSteps but received 20 of type number'],
    [() => optim.multiStep({ baseLr: 0.1, milestones: [1.5] }), 'Expected an array of non-negative integers for milestones but received 1.5 of type number'],
    [() => new optim.GradScaler({ growthFactor: 1 }), 'Expected a number above 1 for growthFactor but received 1 of type number'],
    [() => new optim.GradScaler({ growthInterval: 0 }), 'Expected a positive integer for growthInterval but received 0 of type number'],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { message });
});

test('optimizers: loadStateDict rejects what does not fit, and a failed load changes nothing', () => {
  const params = freshParams();
  const opt = new optim.AdamW(params, { lr: 0.01 });
  for (let k = 0; k < 2; k++) stepAt(opt, params, [0.01], k);
  const sgd = new optim.SGD(params, { lr: 0.1 });
  torch.tidy(() => {
    const sd = opt.stateDict();
    assert.throws(() => sgd.loadStateDict(sd), { message: "Expected a state dict of SGD for stateDict but received one of 'AdamW' of type string" });
    const bad = new Map(sd.tensors);
    bad.set('state.1.exp_avg', torch.zeros([5]));
    const other = new optim.AdamW(freshParams(), { lr: 0.5 });
    assert.throws(() => other.loadStateDict({ meta: sd.meta, tensors: bad }), { message: "Expected shape [4] for 'state.1.exp_avg' but received [5]" });
    const extra = new Map(sd.tensors).set('state.7.exp_avg', torch.zeros([4]));
    assert.throws(() => other.loadStateDict({ meta: sd.meta, tensors: extra }),
      { message: "Unexpected state tensor 'state.7.exp_avg' for AdamW: expected keys state.<index>.<name> with an index below 3" });
    const unknown = new Map(sd.tensors).set('state.1.momentum_buffer', torch.zeros([4]));
    assert.throws(() => other.loadStateDict({ meta: sd.meta, tensors: unknown }),
      { message: "Unexpected state tensor 'state.1.momentum_buffer' for AdamW: parameter 1 has exp_avg, exp_avg_sq, step" });
    const missing = new Map(sd.tensors);
    missing.delete('state.0.exp_avg_sq');
    assert.throws(() => other.loadStateDict({ meta: sd.meta, tensors: missing }), { message: 'Missing state for parameter 0 of AdamW: state.0.exp_avg_sq' });
    assert.equal(other.lr, 0.5, 'hyper-parameters untouched by a failed load');
    assert.equal(other.stateDict().tensors.size, 0, 'state untouched by a failed load');
    other.loadStateDict(sd);
    assert.equal(other.lr, 0.01);
    other.dispose();
  });
  opt.dispose();
});

test('oneCycle matches OneCycleLR at every step', (t) => {
  let worst = 0;
  for (const c of fx.oneCycle) {
    const lrAt = optim.oneCycle(c.options);
    c.lrs.forEach((expected, step) => {
      const err = Math.abs(lrAt(step) - expected);
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-9 * Math.max(1, expected), `${JSON.stringify(c.options)} step ${step}: ${lrAt(step)}, PyTorch ${expected}`);
    });
  }
  t.diagnostic(`largest difference from PyTorch: ${worst.toExponential(2)}`);
});

test('multiStep matches MultiStepLR at every step', () => {
  for (const c of fx.multiStep) {
    const lrAt = optim.multiStep(c.options);
    c.lrs.forEach((expected, step) => assert.ok(Math.abs(lrAt(step) - expected) <= 1e-9 * Math.max(1, expected),
      `${JSON.stringify(c.options)} step ${step}: ${lrAt(step)}, PyTorch ${expected}`));
  }
});

test('cosineWithWarmup: linear warm-up from 0, cosine to minLr, then flat', () => {
  const baseLr = 0.4;
  const minLr = 0.01;
  const lrAt = optim.cosineWithWarmup({ baseLr, warmupSteps: 10, totalSteps: 110, minLr });
  const close = (a: number, e: number) => assert.ok(Math.abs(a - e) <= 1e-12, `${a} vs ${e}`);
  close(lrAt(0), 0);
  close(lrAt(5), baseLr / 2);
  close(lrAt(10), baseLr);
  close(lrAt(60), (baseLr + minLr) / 2);
  close(lrAt(35), minLr + (baseLr - minLr) * (1 + Math.cos(Math.PI / 4)) / 2);
  close(lrAt(110), minLr);
  close(lrAt(500), minLr);
  for (let s = 10; s < 110; s++) assert.ok(lrAt(s + 1) <= lrAt(s), `decreasing at ${s}`);
  close(optim.cosineWithWarmup({ baseLr: 1, warmupSteps: 0, totalSteps: 4 })(0), 1);
});

test('GradScaler: scales, skipped steps and parameters match torch.cuda.amp.GradScaler through overflows', () => {
  const g = fx.gradScaler;
  const params = freshParams();
  const opt = new optim.SGD(params, g.sgd);
  const scaler = new optim.GradScaler(g.options);
  g.steps.forEach((expected, k) => {
    torch.tidy(() => {
      const xs = g.inputs[k]!.map((ref, i) => {
        const flat = flatData(ref.data);
        for (const p of g.poison) if (p.step === k && p.param === i) flat[p.index] = p.value === 'inf' ? Infinity : NaN;
        return torch.tensor(Float32Array.from(flat), { shape: ref.shape });
      });
      opt.zeroGrad();
      let loss = params[0]!.mul(xs[0]!).sum();
      for (let i = 1; i < params.length; i++) loss = loss.add(params[i]!.mul(xs[i]!).sum());
      assert.equal(scaler.getScale(), expected.scaleBefore, `scale before step ${k}`);
      scaler.scale(loss).backward();
      assert.equal(scaler.step(opt), expected.stepped, `step ${k} taken`);
      scaler.update();
      assert.equal(scaler.getScale(), expected.scaleAfter, `scale after step ${k}`);
      params.forEach((p, i) => expectRef(p, expected.params[i]!, `step ${k} param ${i}`, EXACT));
    });
  });
  const s = scaler.stateDict();
  assert.deepEqual(s, { scale: g.state.scale, growthFactor: g.state.growth_factor, backoffFactor: g.state.backoff_factor,
    growthInterval: g.state.growth_interval, growthTracker: g.state._growth_tracker });
  const resumed = new optim.GradScaler();
  resumed.loadStateDict(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(resumed.stateDict(), s);
  opt.dispose();
});

test('GradScaler: unscale divides the gradients once, stage errors as in PyTorch, disabled passes through', () => {
  const w = torch.tensor([1, 2, 3], { requiresGrad: true });
  const opt = new optim.SGD([w], { lr: 0 });
  const scaler = new optim.GradScaler({ initScale: 8 });
  torch.tidy(() => scaler.scale(w.mul(torch.tensor([0.5, -1, 2])).sum()).backward());
  assert.deepEqual(w.grad!.toArray(), [4, -8, 16]);
  scaler.unscale(opt);
  assert.deepEqual(w.grad!.toArray(), [0.5, -1, 2]);
  assert.throws(() => scaler.unscale(opt), { message: 'GradScaler.unscale() has already been called on this optimizer since the last update()' });
  assert.equal(scaler.step(opt), true);
  assert.deepEqual(w.grad!.toArray(), [0.5, -1, 2], 'step() after unscale() does not unscale again');
  assert.throws(() => scaler.step(opt), { message: 'GradScaler.step() has already been called since the last update()' });
  assert.throws(() => scaler.unscale(opt), { message: 'GradScaler.unscale() is being called after step()' });
  scaler.update();
  assert.throws(() => scaler.update(), /no inf checks were recorded/);
  scaler.update(1024);
  assert.equal(scaler.getScale(), 1024);

  const off = new optim.GradScaler({ enabled: false });
  const loss = torch.tensor(2);
  assert.equal(off.scale(loss), loss);
  assert.equal(off.getScale(), 1);
  assert.equal(off.step(opt), true);
  off.update();
  opt.dispose();
});

test('GradScaler: float16 gradients are checked and unscaled too', () => {
  const w = torch.tensor([1, 2], { dtype: 'float16', requiresGrad: true });
  const opt = new optim.SGD([w], { lr: 1 });
  const scaler = new optim.GradScaler({ initScale: 65536 });
  // 65536 * 1.5 overflows float16 (max 65504): the step is skipped and the scale halves
  const x = torch.tensor([1, 1.5], { dtype: 'float16' });
  torch.tidy(() => scaler.scale(w.mul(x).sum()).backward());
  assert.equal(scaler.step(opt), false);
  scaler.update();
  assert.equal(scaler.getScale(), 32768);
  assert.deepEqual(w.toArray(), [1, 2]);
  opt.zeroGrad();
  torch.tidy(() => scaler.scale(w.mul(x).sum()).backward());
  assert.equal(scaler.step(opt), true);
  assert.deepEqual(w.toArray(), [0, 0.5]);
  opt.dispose();
});

class Tiny extends torch.nn.Module {
  w = this.registerParameter('w', torch.tensor([[0.5, -1.25], [2, 0.75], [-0.3, 0.1]], { dtype: 'float64' }));
  b = this.registerParameter('b', torch.tensor([0.2, -0.4], { dtype: 'float64' }));
  count = this.registerBuffer('count', torch.tensor(0n));
  scratch = this.registerBuffer('scratch', torch.zeros([2], { dtype: 'float64' }), { persistent: false });
  forward(x: T): T {
    return x.matmul(this.w).add(this.b);
  }
}

test('EMA: averages parameters as decay * avg + (1 - decay) * p in float64, copies buffers', async () => {
  const model = new Tiny();
  const decay = 0.9;
  const ema = new optim.EMA(model, { decay });
  const flat = (t: T) => flatData(t.toArray() as number[]);
  let w = flat(model.w);
  let b = flat(model.b);
  for (let k = 1; k <= 5; k++) {
    torch.noGrad(() => {
      model.w.add_(torch.full([3, 2], 0.1 * k, { dtype: 'float64' })).mul_(1.5);
      model.b.sub_(torch.full([2], k * k, { dtype: 'float64' }));
      model.count.add_(1);
      model.scratch.fill_(k);
    });
    ema.update();
    const pw = flat(model.w);
    const pb = flat(model.b);
    w = w.map((a, i) => a * decay + (1 - decay) * pw[i]!);
    b = b.map((a, i) => a * decay + (1 - decay) * pb[i]!);
  }
  assert.equal(ema.numUpdates, 5);
  const { meta, tensors } = ema.stateDict();
  assert.deepEqual(meta, { decay, numUpdates: 5 });
  assert.deepEqual([...tensors.keys()], ['w', 'b', 'count'], 'the model\'s stateDict keys');
  assertClose(flat(tensors.get('w')!), w, { rtol: 1e-12, atol: 0, what: 'averaged w' });
  assertClose(flat(tensors.get('b')!), b, { rtol: 1e-12, atol: 0, what: 'averaged b' });
  assert.equal(tensors.get('count')!.item(), 5, 'buffers are copied, not averaged');

  // evaluate swaps the average in and the trained weights back, also around an async function
  const trained = flat(model.w);
  const inside = ema.evaluate(() => flat(model.w));
  assertClose(inside, w, { rtol: 1e-12, atol: 0, what: 'weights inside evaluate' });
  assert.deepEqual(flat(model.w), trained);
  const insideAsync = await ema.evaluate(async () => {
    await new Promise((r) => setTimeout(r, 1));
    return flat(model.w);
  });
  assertClose(insideAsync, w, { rtol: 1e-12, atol: 0, what: 'weights inside an async evaluate' });
  assert.deepEqual(flat(model.w), trained);
  assert.throws(() => ema.evaluate(() => { throw new Error('boom'); }), { message: 'boom' });
  assert.deepEqual(flat(model.w), trained, 'restored after a throw');

  // copyTo a second model, and a checkpoint that loads into a model or another EMA
  const copy = new Tiny();
  ema.copyTo(copy);
  assertClose(flat(copy.w), w, { rtol: 1e-12, atol: 0, what: 'copied w' });
  assert.deepEqual(copy.scratch.toArray(), [5, 5]);
  const fresh = new Tiny();
  fresh.loadStateDict(tensors);
  const other = new optim.EMA(new Tiny());
  other.loadStateDict({ meta, tensors });
  assert.deepEqual(other.stateDict().meta, meta);
  assert.deepEqual(flat(other.stateDict().tensors.get('b')!), flat(tensors.get('b')!));
  assert.throws(() => new optim.EMA(model, { decay: 2 }), { message: 'Expected a number in [0, 1] for decay but received 2 of type number' });
  ema.dispose();
  other.dispose();
});

test('emaUpdate: one blend of two lists', () => {
  const avg = [torch.tensor([1, 2], { dtype: 'float64' })];
  optim.emaUpdate(avg, [torch.tensor([3, -2], { dtype: 'float64' })], 0.75);
  assert.deepEqual(avg[0]!.toArray(), [1.5, 1]);
});
