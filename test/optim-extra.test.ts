// Adam and RMSprop against torch.optim (test/fixtures/nn-extra.json, written by
// scripts/references/make_nn_references.py, foreach=True): parameters after each of 6 steps and
// the final state, with per-group options; state-dict round trips; option errors.
// torch 2.x updates the first moment with lerp_, 1.13 (and torchnode) with mul_ then add_: the
// float32 results differ in the last bits (2e-7 of the largest value at most over these runs),
// so values are compared to 1e-6 of each tensor's largest value.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';
import { fromRef, relErrorTo, type Ref } from './reference.js';

const { optim } = torch;
type T = torch.Tensor;

interface Case {
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  params: Ref[][];
  state: Record<string, Ref>;
}
interface Fixture {
  optimizers: { params: Ref[]; grads: Ref[][]; adam: Record<string, Case>; rmsprop: Record<string, Case> };
}

const fx = loadFixture<Fixture>('nn-extra.json').optimizers;
const REL = 1e-6;
const KINDS = { adam: 'Adam', rmsprop: 'RMSprop' } as const;
type Kind = keyof typeof KINDS;
type Opt = torch.optim.Adam | torch.optim.RMSprop;

function close(actual: T, ref: Ref, what: string): void {
  const err = relErrorTo(actual, ref, what);
  assert.ok(err <= REL, `${what}: relative error ${err} above ${REL}`);
}

function make(kind: Kind, c: Case, params: T[]): Opt {
  const groups = c.groups?.map(({ params: at, ...rest }) => ({ ...rest, params: at.map((i) => params[i]!) }));
  return kind === 'adam' ? new optim.Adam((groups ?? params) as never, c.options) : new optim.RMSprop((groups ?? params) as never, c.options);
}

function stepAt(opt: Opt, params: T[], k: number): void {
  torch.tidy(() => {
    params.forEach((p, i) => (p.grad = fromRef(fx.grads[k]![i]!)));
    opt.step();
  });
}

const fresh = (): T[] => fx.params.map((r) => fromRef(r, { requiresGrad: true }));

for (const kind of Object.keys(KINDS) as Kind[]) {
  for (const [name, c] of Object.entries(fx[kind])) {
    test(`${KINDS[kind]} ${name}: parameters after each step and the final state match torch.optim`, () => {
      const params = fresh();
      const opt = make(kind, c, params);
      c.params.forEach((expected, k) => {
        stepAt(opt, params, k);
        params.forEach((p, i) => close(p, expected[i]!, `step ${k} param ${i}`));
      });
      torch.tidy(() => {
        const { tensors } = opt.stateDict();
        const keys = [...tensors.keys()].filter((key) => !key.endsWith('.step'));
        assert.deepEqual(keys.sort(), Object.keys(c.state).sort(), "state keys are PyTorch's");
        for (const key of keys) close(tensors.get(key)!, c.state[key]!, key);
        for (const [key, t] of tensors) if (key.endsWith('.step')) assert.equal(t.item(), c.params.length, key);
      });
      opt.dispose();
    });

    test(`${KINDS[kind]} ${name}: resuming from a state dict after 3 steps gives the uninterrupted run's parameters bit for bit`, () => {
      const pa = fresh();
      const a = make(kind, c, pa);
      for (let k = 0; k < 3; k++) stepAt(a, pa, k);
      const pb = pa.map((p) => p.detach().clone().requiresGrad_(true));
      const b = make(kind, { ...c, options: { ...c.options, lr: 7 } }, pb);
      torch.tidy(() => {
        const { meta, tensors } = a.stateDict();
        b.loadStateDict({ meta: JSON.parse(JSON.stringify(meta)), tensors });
      });
      assert.deepEqual(b.paramGroups.map((g) => g.lr), a.paramGroups.map((g) => g.lr));
      for (let k = 3; k < c.params.length; k++) {
        stepAt(a, pa, k);
        stepAt(b, pb, k);
      }
      pa.forEach((p, i) => assert.deepEqual(Array.from(pb[i]!.toTypedArray() as Float32Array), Array.from(p.toTypedArray() as Float32Array), `param ${i}`));
      a.dispose();
      b.dispose();
    });
  }
}

test('Adam and RMSprop defaults are PyTorch\'s; options are checked', () => {
  const p = torch.zeros([2], { requiresGrad: true });
  const adam = new optim.Adam([p]);
  const { params: _a, ...adamHyper } = adam.paramGroups[0]!;
  assert.deepEqual(adamHyper, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  const rms = new optim.RMSprop([p]);
  const { params: _r, ...rmsHyper } = rms.paramGroups[0]!;
  assert.deepEqual(rmsHyper, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
  assert.throws(() => new optim.Adam([p], { betas: [0.9, 1] }),
    { name: 'TypeError', message: 'Expected two numbers in [0, 1) for betas but received 1 of type number' });
  assert.throws(() => new optim.RMSprop([p], { momentum: -1 }),
    { name: 'TypeError', message: 'Expected a non-negative number for momentum but received -1 of type number' });
  assert.throws(() => new optim.RMSprop([p], { centred: true } as never),
    { name: 'TypeError', message: "Unknown option 'centred' for RMSprop(); its options are lr, alpha, eps, weightDecay, momentum, centered" });
  torch.tidy(() => {
    const { meta, tensors } = adam.stateDict();
    assert.throws(() => rms.loadStateDict({ meta, tensors }),
      { name: 'TypeError', message: "Expected a state dict of RMSprop for stateDict but received one of 'Adam' of type string" });
  });
});
