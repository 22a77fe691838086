// The generated wrappers (lib/generated/) against PyTorch: test/fixtures/generated.json, made by
// scripts/references/make_generated_references.py with PyTorch 2.14 and checked against 1.13 (cases
// whose values differ between the two were left out there). Every call goes through the public
// wrapper (Tensor method, torch.* or nn.functional); float results within rtol 1e-7 / atol 1e-9
// (the other libtorch's kernels may round differently in the last bits), integers and bools exactly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

import { fixturesDir, loadFixture } from './helpers.js';
import { build, expectRef, isRef, type Ref } from './reference.js';

interface Case {
  op: string;
  inputs: unknown[];
  expected: unknown;
  seeded: boolean;
}
interface Call {
  group: 'tensor' | 'torch' | 'functional';
  name: string;
  op: string;
  args: unknown[];
  options: Record<string, unknown> | null;
}
const fixture = loadFixture<{ pytorch: string; checkedWith?: string; cases: Record<string, Case>; calls: Call[]; uncovered: Record<string, string> }>('generated.json');
const manifest = JSON.parse(readFileSync(path.join(fixturesDir, '..', '..', 'lib', 'generated', 'manifest.json'), 'utf8'));
const TOL = { rtol: 1e-7, atol: 1e-9 };

function expectValue(actual: unknown, expected: unknown, what: string): void {
  if (isRef(expected)) return expectRef(actual as torch.Tensor, expected as Ref, what, TOL);
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array`);
    assert.equal(actual.length, expected.length, `${what}: length`);
    expected.forEach((e, i) => expectValue((actual as unknown[])[i], e, `${what}[${i}]`));
    return;
  }
  if (typeof expected === 'number' && typeof actual === 'number' && !Number.isInteger(expected)) {
    assert.ok(Math.abs(actual - expected) <= TOL.rtol * Math.abs(expected) + TOL.atol, `${what}: ${actual} vs ${expected}`);
    return;
  }
  assert.equal(actual, expected, what);
}

function invoke(call: Call): unknown {
  // null in the fixture: an argument left to its default (undefined), or None for a nullable one
  const args = (build(call.args) as unknown[]).map((a) => (a === null ? undefined : a));
  if (call.options) args.push(build(call.options));
  if (call.group === 'tensor') {
    const [self, ...rest] = args as [torch.Tensor, ...unknown[]];
    return (self as unknown as Record<string, (...a: unknown[]) => unknown>)[call.name]!(...rest);
  }
  const ns = (call.group === 'torch' ? torch : torch.nn.functional) as unknown as Record<string, (...a: unknown[]) => unknown>;
  return ns[call.name]!(...args);
}

test('every generated wrapper has a PyTorch-made case, or a recorded reason it has none', () => {
  const called = new Set(fixture.calls.map((c) => `${c.group}:${c.name}`));
  const without: string[] = [];
  for (const group of ['tensor', 'torch', 'functional'] as const) {
    for (const e of manifest[group] as { camel: string; overloads: { qualified: string }[] }[]) {
      if (called.has(`${group}:${e.camel}`)) continue;
      if (e.overloads.every((o) => fixture.uncovered[o.qualified] !== undefined)) continue;
      without.push(`${group}:${e.camel}`);
    }
  }
  assert.deepEqual(without, []);
});

for (const group of ['tensor', 'torch', 'functional'] as const) {
  test(`generated ${group === 'tensor' ? 'Tensor methods' : group === 'torch' ? 'torch.* functions' : 'nn.functional entries'} match PyTorch ${fixture.pytorch}`, () => {
    const failures: string[] = [];
    let n = 0;
    for (const call of fixture.calls.filter((c) => c.group === group)) {
      const c = fixture.cases[call.op]!;
      const what = `${group} ${call.name} (${call.op})`;
      try {
        torch.tidy(() => {
          if (c.seeded) torch.manualSeed(0);
          expectValue(invoke(call), c.expected, what);
        });
        n++;
      } catch (e) {
        failures.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(n > 0);
  });
}

test('a wrapper given arguments no overload takes is a TypeError naming the schemas', () => {
  const x = torch.zeros([2, 3]);
  assert.throws(() => (x.topk as (...a: unknown[]) => unknown)('a'), {
    name: 'TypeError',
    message: "Expected arguments fitting one of aten::topk(k: int, dim?: int, largest?: bool, sorted?: bool) for topk but received ('a' of type string)",
  });
  assert.throws(() => (torch.cumsum as (...a: unknown[]) => unknown)(x, 1, { dtyp: 'float64' }), { name: 'TypeError', message: /for cumsum but received/ });
  x.dispose();
});

test('keyword-only arguments take torchnode names: dtype, device, memory format', () => {
  const x = torch.arange(0, 6, 1, { dtype: 'int64' }).reshape([2, 3]);
  const y = torch.cumsum(x, 1, { dtype: 'float64' });
  assert.equal(y.dtype, 'float64');
  assert.deepEqual(y.toArray(), [[0, 1, 3], [3, 7, 12]]);
  const z = torch.fullLike(x, 7, { dtype: 'float32', device: 'cpu', memoryFormat: 'contiguous' });
  assert.equal(z.dtype, 'float32');
  assert.throws(() => torch.fullLike(x, 7, { dtype: 'float' as torch.DType }), { name: 'TypeError', message: /for fullLike but received/ });
  for (const t of [x, y, z]) t.dispose();
});

test('an operator the loaded libtorch lacks fails when called, naming the libtorch version', async () => {
  // the runtime is internal: loaded from the built dist/ beside the package entry
  const dispatch = new URL('../../dist/generated/dispatch.js', import.meta.url).href;
  const { table, callFunction } = (await import(dispatch)) as {
    table(name: string, rows: [string, string, string, 0 | 1][]): unknown;
    callFunction(o: unknown, args: unknown[]): unknown;
  };
  const missing = table('notAnOp', [['aten::not_an_op', 'self:T', 'T', 0]]);
  const x = torch.zeros([1]);
  assert.throws(() => callFunction(missing, [x]), {
    name: 'TorchError',
    message: new RegExp(`^notAnOp: aten::not_an_op cannot be called in libtorch ${torch.buildInfo.version.replace(/[.+]/g, '\\$&')}: `),
  });
  x.dispose();
});
