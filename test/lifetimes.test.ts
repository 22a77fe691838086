// Tensor lifetimes: dispose(), `using`, tidy scopes, keep(), the GC backstop, and leak checks.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import * as torch from 'torchnode';

// Internal module (not public API), from the same dist/ the package exports.
const { native: nativeApi } = (await import(new URL('../../dist/native.js', import.meta.url).href)) as typeof import('../lib/native.js');

const live = (): number => torch.memory().liveTensors;

/**
 * Runs an ESM script in a child node with --expose-gc; returns the JSON its last stdout line holds.
 * `--max-semi-space-size=1` pins V8's young generation at 1 MiB per semi-space: otherwise V8 grows it
 * to 16 MiB under a high allocation rate, which alone moves RSS by more than the 5% the leak checks allow.
 */
function runChild<T>(body: string, timeout = 60_000): T {
  const script = `import * as torch from ${JSON.stringify(import.meta.resolve('torchnode'))};\n${body}`;
  const args = ['--expose-gc', '--max-semi-space-size=1', '--input-type=module', '-e', script];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout });
  assert.equal(r.signal, null, `child was killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, `child exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

// Shared by the child scripts: settle() is a full GC, then a few turns of the event loop so that
// FinalizationRegistry callbacks (which run asynchronously) have run. repeat() runs a loop with
// a full GC every 10,000 iterations: V8 keeps some malloc'd bookkeeping of FinalizationRegistry
// register/unregister churn until a full GC, which would otherwise show up as RSS growth.
const SETTLE = `
  function repeat(n, f) {
    for (let i = 0; i < n; i++) {
      f(i);
      if (i % 10000 === 9999) global.gc();
    }
  }
  async function settle() {
    for (let i = 0; i < 4; i++) {
      global.gc();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 5));
    }
  }
`;

test('dispose() frees once, is idempotent, and isDisposed reports it', () => {
  const base = live();
  const t = torch.ones([3]);
  assert.equal(t.isDisposed, false);
  assert.equal(live(), base + 1);
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.equal(live(), base);
  t.dispose();
  t[Symbol.dispose]();
  assert.equal(t.isDisposed, true);
  assert.equal(live(), base, 'a second dispose() must not free anything else');
});

test('a `using` declaration disposes the tensor at the end of its block', () => {
  const base = live();
  let escaped: torch.Tensor | undefined;
  {
    using t = torch.arange(4);
    escaped = t;
    assert.equal(t.isDisposed, false);
    assert.deepEqual(t.toArray(), [0, 1, 2, 3]);
    assert.equal(live(), base + 1);
  }
  assert.equal(escaped.isDisposed, true);
  assert.equal(live(), base);
});

test('a `using` declaration disposes the tensor when its block throws', () => {
  const base = live();
  let escaped: torch.Tensor | undefined;
  const boom = new Error('boom');
  assert.throws(() => {
    using t = torch.zeros([2]);
    escaped = t;
    throw boom;
  }, (e: unknown) => e === boom);
  assert.equal(escaped?.isDisposed, true);
  assert.equal(live(), base);
});

test('tidy frees every tensor made inside except the returned one', () => {
  const base = live();
  const inside: torch.Tensor[] = [];
  const r = torch.tidy(() => {
    const a = torch.ones([2]);
    const b = a.mul(3);
    const c = b.add(1);
    inside.push(a, b);
    return c;
  });
  assert.deepEqual(inside.map((t) => t.isDisposed), [true, true]);
  assert.equal(r.isDisposed, false);
  assert.deepEqual(r.toArray(), [4, 4]);
  assert.equal(live(), base + 1);
  r.dispose();
  assert.equal(live(), base);
});

test('tidy keeps tensors returned in arrays, plain objects and Maps', () => {
  const base = live();
  let dropped: torch.Tensor | undefined;
  const r = torch.tidy(() => {
    dropped = torch.zeros([1]);
    const m = new Map<string, torch.Tensor>([['m', torch.full([1], 5)]]);
    return { a: torch.ones([1]), list: [torch.full([1], 2), [torch.full([1], 3)]], nested: { deep: torch.full([1], 4) }, m, n: 7 };
  });
  assert.equal(dropped?.isDisposed, true);
  const survivors = [r.a, r.list[0] as torch.Tensor, (r.list[1] as torch.Tensor[])[0]!, r.nested.deep, r.m.get('m')!];
  assert.deepEqual(survivors.map((t) => t.isDisposed), [false, false, false, false, false]);
  assert.deepEqual(survivors.map((t) => t.item()), [1, 2, 3, 4, 5]);
  assert.equal(r.n, 7);
  assert.equal(live(), base + 5);
  for (const t of survivors) t.dispose();
  assert.equal(live(), base);
});

test('tidy leaves tensors made outside it alone, also when fn returns or mutates them', () => {
  const outside = torch.zeros([2]);
  const base = live();
  const r = torch.tidy(() => {
    outside.add_(1); // in place: returns `outside` itself
    outside.mul(2);
    return outside;
  });
  assert.equal(r, outside);
  assert.equal(outside.isDisposed, false);
  assert.deepEqual(outside.toArray(), [1, 1]);
  assert.equal(live(), base);
  outside.dispose();
});

test('torch.keep makes a tensor outlive every enclosing tidy', () => {
  const base = live();
  let kept: torch.Tensor | undefined;
  let notKept: torch.Tensor | undefined;
  torch.tidy(() => {
    torch.tidy(() => {
      const k = torch.full([2], 9);
      assert.equal(torch.keep(k), k);
      kept = k;
      notKept = torch.ones([2]);
    });
    assert.equal(kept!.isDisposed, false);
  });
  assert.equal(notKept!.isDisposed, true);
  assert.equal(kept!.isDisposed, false);
  assert.deepEqual(kept!.toArray(), [9, 9]);
  assert.equal(live(), base + 1);
  kept!.dispose();
  assert.equal(live(), base);
});

test('nested tidy moves survivors to the outer scope, which frees them unless it returns them', () => {
  const base = live();
  let fromInner: torch.Tensor | undefined;
  let alsoFromInner: torch.Tensor | undefined;
  const r = torch.tidy(() => {
    fromInner = torch.tidy(() => torch.ones([2]).mul(2));
    alsoFromInner = torch.tidy(() => torch.ones([2]).mul(3));
    assert.equal(fromInner.isDisposed, false);
    assert.equal(alsoFromInner.isDisposed, false);
    assert.equal(live(), base + 2, 'the inner scopes freed their temporaries');
    return alsoFromInner;
  });
  assert.equal(fromInner!.isDisposed, true, 'the outer scope owned the inner survivor and freed it');
  assert.equal(r, alsoFromInner);
  assert.equal(r.isDisposed, false);
  assert.deepEqual(r.toArray(), [3, 3]);
  assert.equal(live(), base + 1);
  r.dispose();
  assert.equal(live(), base);
});

test('tidy disposes its tensors when fn throws, keeping kept ones, and rethrows the same error', () => {
  const base = live();
  const made: torch.Tensor[] = [];
  let kept: torch.Tensor | undefined;
  const boom = new Error('boom');
  assert.throws(() => torch.tidy(() => {
    made.push(torch.ones([2]), torch.zeros([3]));
    kept = torch.keep(torch.full([1], 1));
    torch.tidy(() => made.push(torch.ones([4])));
    throw boom;
  }), (e: unknown) => e === boom);
  assert.deepEqual(made.map((t) => t.isDisposed), [true, true, true]);
  assert.equal(kept!.isDisposed, false);
  kept!.dispose();
  assert.equal(live(), base);
});

test('tidy disposes its tensors when libtorch throws inside it', () => {
  const base = live();
  assert.throws(() => torch.tidy(() => torch.ones([2, 3]).matmul(torch.ones([2, 3]))),
    { name: 'TorchError', message: 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)' });
  assert.equal(live(), base);
});

test('grad reads inside tidy are freed with the scope', () => {
  const w = torch.ones([3], { requiresGrad: true });
  const base = live();
  torch.tidy(() => {
    w.mul(w).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [2, 2, 2]);
    assert.deepEqual(w.grad!.toArray(), [2, 2, 2]);
  });
  assert.equal(live(), base);
  w.dispose();
});

test('hostBytes rises by the byte size of a new CPU tensor and falls back on dispose', () => {
  const cases: [() => torch.Tensor, number][] = [
    [() => torch.zeros([10], { dtype: 'float64' }), 80],
    [() => torch.zeros([3, 5], { dtype: 'int16' }), 30],
    [() => torch.ones([7]), 28],
    [() => torch.tensor(new Float32Array(9), { shape: [3, 3] }), 36],
    [() => torch.tensor([true, false, true, true, false]), 5],
    [() => torch.tensor([1n, 2n, 3n]), 24],
    [() => torch.empty([2, 2], { dtype: 'float16' }), 8],
    [() => torch.zeros([0, 4]), 0],
  ];
  for (const [make, bytes] of cases) {
    const before = torch.memory();
    const t = make();
    const during = torch.memory();
    assert.equal(during.hostBytes - before.hostBytes, bytes, `${t.toString()} should add ${bytes} bytes`);
    assert.equal(during.liveTensors - before.liveTensors, 1);
    t.dispose();
    const after = torch.memory();
    assert.equal(after.hostBytes, before.hostBytes);
    assert.equal(after.liveTensors, before.liveTensors);
  }
});

test('liveTensors returns to baseline after a mix of ops, scopes and disposals', () => {
  const base = torch.memory();
  const x = torch.randn([4, 3]);
  const y = torch.tidy(() => {
    const a = x.matmul(x.transpose(0, 1)).relu();
    const { values, indices } = a.max(1);
    return values.add(indices.float());
  });
  const parts = torch.tidy(() => [x.narrow(0, 0, 2), x.narrow(0, 2, 2)]);
  assert.equal(torch.memory().liveTensors, base.liveTensors + 4);
  for (const t of [x, y, ...parts]) t.dispose();
  assert.deepEqual(torch.memory(), base);
});

test('leak check: 100,000 create/dispose cycles keep liveTensors at baseline and RSS growth under 5%', (t) => {
  const r = runChild<{ base: number; afterWarm: number; after: number; hostBytes: number; rss0: number; rss1: number }>(`
    ${SETTLE}
    const data = new Float32Array(64).fill(1.5);
    function cycle(i) {
      const t = (i & 1) ? torch.zeros([64]) : torch.tensor(data);
      t.dispose();
    }
    await settle();
    const base = torch.memory().liveTensors;
    repeat(20000, cycle);
    await settle();
    const afterWarm = torch.memory().liveTensors;
    const rss0 = process.memoryUsage().rss;
    repeat(100000, cycle);
    await settle();
    const rss1 = process.memoryUsage().rss;
    const m = torch.memory();
    console.log(JSON.stringify({ base, afterWarm, after: m.liveTensors, hostBytes: m.hostBytes, rss0, rss1 }));
  `);
  assert.equal(r.afterWarm, r.base);
  assert.equal(r.after, r.base);
  assert.equal(r.hostBytes, 0);
  const growth = (r.rss1 - r.rss0) / r.rss0;
  t.diagnostic(`RSS ${(r.rss0 / 2 ** 20).toFixed(1)} MiB -> ${(r.rss1 / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(2)}%)`);
  assert.ok(growth < 0.05, `RSS grew ${(growth * 100).toFixed(2)}% (${r.rss0} -> ${r.rss1} bytes)`);
});

test('leak check: 1,000 tidy forward/backward/SGD steps of a small conv net keep liveTensors at baseline and RSS growth under 5%', (t) => {
  const r = runChild<{ base: number; after: number; rss0: number; rss1: number; loss0: number; loss1: number; gradEnabled: boolean }>(`
    ${SETTLE}
    const F = torch.nn.functional;
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 8, 8]);
    const w = torch.randn([4, 3, 3, 3]).mul_(0.1).requiresGrad_();
    const b = torch.zeros([4], { requiresGrad: true });
    const lossOf = () => torch.tidy(() => F.conv2d(x, w, { bias: b, padding: 1 }).relu().mean().item());
    function step() {
      torch.tidy(() => {
        const loss = F.conv2d(x, w, { bias: b, padding: 1 }).relu().mean();
        loss.backward();
        torch.noGrad(() => {
          for (const p of [w, b]) p.sub_(p.grad, { alpha: 0.1 });
        });
        w.grad = null;
        b.grad = null;
      });
    }
    await settle();
    const base = torch.memory().liveTensors;
    const loss0 = lossOf();
    for (let i = 0; i < 200; i++) step();
    await settle();
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < 1000; i++) step();
    await settle();
    const rss1 = process.memoryUsage().rss;
    const loss1 = lossOf();
    console.log(JSON.stringify({ base, after: torch.memory().liveTensors, rss0, rss1, loss0, loss1, gradEnabled: torch.isGradEnabled() }));
  `);
  assert.equal(r.after, r.base);
  assert.equal(r.gradEnabled, true);
  assert.ok(r.loss1 < r.loss0, `SGD should lower the loss: ${r.loss0} -> ${r.loss1}`);
  const growth = (r.rss1 - r.rss0) / r.rss0;
  t.diagnostic(`RSS ${(r.rss0 / 2 ** 20).toFixed(1)} MiB -> ${(r.rss1 / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(2)}%)`);
  assert.ok(growth < 0.05, `RSS grew ${(growth * 100).toFixed(2)}% (${r.rss0} -> ${r.rss1} bytes)`);
});

test('GC backstop: unreachable tensors that were never disposed are freed after gc', () => {
  const r = runChild<{
    base: { liveTensors: number; hostBytes: number };
    made: { liveTensors: number; hostBytes: number };
    collected: { liveTensors: number; hostBytes: number };
    disposedThenCollected: number;
    reachableAlive: boolean;
    reachableValue: number[];
  }>(`
    ${SETTLE}
    await settle();
    const base = torch.memory();
    const reachable = torch.full([2], 7);
    (() => {
      for (let i = 0; i < 1000; i++) torch.zeros([100]);          // dropped on the floor
      torch.tidy(() => torch.ones([100]).mul(2));                 // escaped the outermost tidy
      for (let i = 0; i < 10; i++) torch.tidy(() => [torch.ones([1]), torch.ones([1])]);
    })();
    const made = torch.memory();
    await settle();
    const collected = torch.memory();
    // explicitly disposed tensors must not be freed a second time by the finalizer
    (() => { for (let i = 0; i < 100; i++) torch.ones([3]).dispose(); })();
    await settle();
    const disposedThenCollected = torch.memory().liveTensors;
    console.log(JSON.stringify({ base, made, collected, disposedThenCollected,
      reachableAlive: !reachable.isDisposed, reachableValue: reachable.toArray() }));
  `);
  assert.equal(r.made.liveTensors, r.base.liveTensors + 1 + 1000 + 1 + 20);
  assert.equal(r.made.hostBytes, r.base.hostBytes + 8 + 1000 * 400 + 400 + 20 * 4);
  assert.deepEqual(r.collected, { ...r.base, liveTensors: r.base.liveTensors + 1, hostBytes: r.base.hostBytes + 8 });
  assert.equal(r.disposedThenCollected, r.base.liveTensors + 1);
  assert.equal(r.reachableAlive, true);
  assert.deepEqual(r.reachableValue, [7, 7]);
});

test('a freed handle id never names another tensor: 70,000 reuses of its slot later it is still refused natively', () => {
  const stale = torch.zeros([1]);
  const id = (stale as any)._h as number;
  stale.dispose();
  let ids = 0;
  for (let i = 0; i < 70_000; i++) {
    const t = torch.empty([1]);
    const h = (t as any)._h as number;
    assert.notEqual(h, id, `a new tensor got the freed id ${id} after ${i} allocations`);
    if (Math.floor(h / 65536) === Math.floor(id / 65536)) ids++;
    t.dispose();
  }
  // reused most recent first through every remaining generation, then retired
  assert.equal(ids, 65_535 - (id % 65_536));
  // the JS layer is not asked: the native table itself refuses the stale id
  assert.throws(() => nativeApi.shape(id as any), { name: 'TypeError', message: 'Expected a Tensor for self' });
});
