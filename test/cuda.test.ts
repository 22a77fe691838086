// CUDA and cuDNN: run on a machine with a CUDA device; elsewhere they skip, saying why, and
// the CPU-only facts are checked instead.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import * as torch from 'torchnode';
import { assertClose, fixturesDir } from './helpers.js';

const root = path.resolve(fixturesDir, '..', '..');

const F = torch.nn.functional;
const available = torch.cuda.isAvailable();
const whyNot = torch.buildInfo.cuda
  ? `no CUDA device: torchnode was built with CUDA ${torch.buildInfo.cuda} but libtorch sees no device`
  : `no CUDA device: torchnode was built against libtorch ${torch.buildInfo.version} without CUDA`;
/** Options for a test that needs a CUDA device. */
const needsCuda = available ? {} : { skip: whyNot };

test('CPU-only facts when there is no CUDA device', available ? { skip: 'a CUDA device is available' } : {}, () => {
  assert.equal(torch.cuda.isAvailable(), false);
  assert.equal(torch.cuda.deviceCount(), 0);
  assert.equal(torch.memory().cuda.length, 0);
  assert.deepEqual(torch.memory().cuda, []);
  if (!torch.buildInfo.cuda) {
    // a build without CUDA has no cuDNN either
    assert.equal(torch.backends.cudnn.isAvailable(), false);
    assert.equal(torch.backends.cudnn.version(), null);
  }
  const why = torch.buildInfo.cuda ? 'no CUDA device is visible' : `torchnode was built against libtorch ${torch.buildInfo.version} without CUDA`;
  assert.throws(() => torch.cuda.memoryAllocated('cuda'), { name: 'TorchError', message: `CUDA is not available: ${why} (asked for 'cuda')` });
  assert.throws(() => torch.cuda.getDeviceName(1), { name: 'TorchError', message: `CUDA is not available: ${why} (asked for 'cuda:1')` });
  assert.throws(() => torch.cuda.synchronize(), { name: 'TorchError', message: `CUDA is not available: ${why} (asked for 'cuda')` });
  assert.throws(() => torch.cuda.memoryReserved('cpu'), { name: 'TypeError', message: "Expected a CUDA device for device but received 'cpu' of type string" });
  torch.cuda.emptyCache(); // harmless without CUDA
});

test('cuDNN flags: benchmark and deterministic read back what was set; allowTF32 too', () => {
  const { benchmark, deterministic, allowTF32 } = torch.backends.cudnn;
  const matmulTF32 = torch.backends.cuda.matmul.allowTF32;
  try {
    torch.backends.cudnn.benchmark = true;
    assert.equal(torch.backends.cudnn.benchmark, true);
    torch.backends.cudnn.benchmark = false;
    assert.equal(torch.backends.cudnn.benchmark, false);
    torch.backends.cudnn.deterministic = true;
    assert.equal(torch.backends.cudnn.deterministic, true);
    torch.backends.cudnn.deterministic = false;
    assert.equal(torch.backends.cudnn.deterministic, false);
    torch.backends.cudnn.allowTF32 = false;
    assert.equal(torch.backends.cudnn.allowTF32, false);
    torch.backends.cuda.matmul.allowTF32 = true;
    assert.equal(torch.backends.cuda.matmul.allowTF32, true);
    assert.throws(() => { torch.backends.cudnn.allowTF32 = 'no' as never; },
      { name: 'TypeError', message: "Expected a boolean for torch.backends.cudnn.allowTF32 but received 'no' of type string" });
  } finally {
    torch.backends.cudnn.benchmark = benchmark;
    torch.backends.cudnn.deterministic = deterministic;
    torch.backends.cudnn.allowTF32 = allowTF32;
    torch.backends.cuda.matmul.allowTF32 = matmulTF32;
  }
});

test('the TF32 getters read libtorch: PyTorch\'s defaults, and what setFloat32MatmulPrecision changes there', () => {
  // a fresh process, so the defaults are libtorch's own (PyTorch: cudnn.allow_tf32 True, matmul False)
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import * as torch from 'torchnode';
    const read = () => [torch.backends.cudnn.allowTF32, torch.backends.cuda.matmul.allowTF32];
    const seen = [[...read(), torch.getFloat32MatmulPrecision()]];
    torch.setFloat32MatmulPrecision('high');
    seen.push([...read(), torch.getFloat32MatmulPrecision()]);
    torch.backends.cuda.matmul.allowTF32 = false;
    seen.push(read());
    torch.backends.cudnn.allowTF32 = false;
    seen.push(read());
    console.log(JSON.stringify(seen));`], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stderr);
  // (after TF32 set both ways PyTorch 2.x refuses get_float32_matmul_precision(), so it is not read there)
  assert.deepEqual(JSON.parse(r.stdout), [[true, false, 'highest'], [true, true, 'high'], [true, false], [false, false]]);
  assert.throws(() => torch.setFloat32MatmulPrecision('low' as never), { name: 'TypeError', message: "Expected 'highest', 'high' or 'medium' for precision but received 'low' of type string" });
});

test('CUDA device queries', needsCuda, () => {
  const n = torch.cuda.deviceCount();
  assert.ok(n >= 1);
  assert.equal(torch.memory().cuda.length, n);
  assert.deepEqual(torch.memory().cuda.map((c) => c.device), Array.from({ length: n }, (_, i) => i));
  const name = torch.cuda.getDeviceName();
  assert.equal(typeof name, 'string');
  assert.ok(name.length > 0);
  assert.equal(torch.cuda.getDeviceName('cuda:0'), name);
  torch.cuda.synchronize();
  torch.cuda.synchronize(0);
  torch.cuda.synchronize('cuda');
  if (torch.backends.cudnn.isAvailable()) {
    const v = torch.backends.cudnn.version();
    assert.equal(typeof v, 'number');
    assert.ok(v! > 0);
  }
});

test("'cuda:99' is refused with the number of devices", needsCuda, () => {
  const n = torch.cuda.deviceCount();
  const message = `CUDA device 99 requested but ${n} device(s) are available`;
  const check = (fn: () => unknown) => assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof torch.TorchError);
    assert.equal(e.message, message);
    return true;
  });
  check(() => torch.zeros([2], { device: 'cuda:99' }));
  check(() => torch.tensor([1], { device: 'cuda:99' }));
  const x = torch.zeros([2]);
  try {
    check(() => x.to('cuda:99'));
    check(() => x.cuda(99));
    check(() => torch.cuda.synchronize(99));
    check(() => torch.cuda.memoryAllocated('cuda:99'));
  } finally {
    x.dispose();
  }
});

test('tensors go to CUDA and back unchanged', needsCuda, () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const x = torch.randn([3, 4]);
    const g = x.to('cuda');
    assert.equal(g.device, 'cuda:0');
    assert.deepEqual(g.shape, [3, 4]);
    assert.equal(g.dtype, 'float32');
    const back = g.to('cpu');
    assert.equal(back.device, 'cpu');
    assert.deepEqual(back.toArray(), x.toArray());
    assert.deepEqual(x.cuda().cpu().toArray(), x.toArray());
    assert.equal(x.cuda(0).device, 'cuda:0');
    assert.equal(x.to('cuda:0').device, 'cuda:0');
    assert.equal(x.to('cuda:0').getDevice(), 0);
    // reading values straight from a CUDA tensor copies them to the host
    assert.deepEqual(g.toArray(), x.toArray());
    assert.deepEqual(g.toTypedArray(), x.toTypedArray());
    assertClose([g.sum().item() as number], [x.sum().item() as number], { rtol: 1e-5, atol: 1e-5, what: 'sum' });

    const z = torch.zeros([2, 2], { device: 'cuda' });
    assert.equal(z.device, 'cuda:0');
    assert.deepEqual(z.toArray(), [[0, 0], [0, 0]]);
    const t = torch.tensor([[1, 2], [3, 4]], { device: 'cuda', dtype: 'float64' });
    assert.equal(t.device, 'cuda:0');
    assert.equal(t.dtype, 'float64');
    assert.deepEqual(t.matmul(t).cpu().toArray(), [[7, 10], [15, 22]]);
    const h = x.to({ device: 'cuda', dtype: 'float16', memoryFormat: 'contiguous' });
    assert.equal(h.dtype, 'float16');
    assert.deepEqual(h.cpu().toTypedArray(), x.half().toTypedArray());
    // mixing devices is a TorchError
    assert.throws(() => x.add(g), (e: unknown) => e instanceof torch.TorchError &&
      /^Expected all tensors to be on the same device, but found at least two devices, (cuda:0 and cpu|cpu and cuda:0)!$/.test(e.message));
  });
});

test('conv2d on CUDA equals conv2d on the CPU within 1e-4 (TF32 off)', needsCuda, () => {
  const tf32 = torch.backends.cudnn.allowTF32;
  torch.backends.cudnn.allowTF32 = false;
  try {
    torch.tidy(() => {
      torch.manualSeed(1);
      const x = torch.randn([4, 3, 16, 16]);
      const w = torch.randn([8, 3, 3, 3]).mul(0.2);
      const b = torch.randn([8]);
      const cpu = F.conv2d(x, w, { bias: b, padding: 1, stride: 2 });
      const gpu = F.conv2d(x.cuda(), w.cuda(), { bias: b.cuda(), padding: 1, stride: 2 });
      assert.equal(gpu.device, 'cuda:0');
      assert.deepEqual(gpu.shape, cpu.shape);
      assertClose(gpu.cpu().toTypedArray(), cpu.toTypedArray() as Float32Array, { rtol: 1e-4, atol: 1e-4, what: 'conv2d' });

      // gradients agree too
      const grads = (device: 'cpu' | 'cuda') => {
        // detach() first: x.to('cpu') is x itself, which must not start requiring grad
        const xi = x.detach().to(device).requiresGrad_();
        const wi = w.detach().to(device).requiresGrad_();
        F.conv2d(xi, wi, { padding: 1 }).relu().mean().backward();
        return [xi.grad!.cpu().toTypedArray(), wi.grad!.cpu().toTypedArray()] as Float32Array[];
      };
      const [gxc, gwc] = grads('cpu');
      const [gxg, gwg] = grads('cuda');
      assertClose(gxg!, gxc!, { rtol: 1e-4, atol: 1e-4, what: 'input grad' });
      assertClose(gwg!, gwc!, { rtol: 1e-4, atol: 1e-4, what: 'weight grad' });

      // and with benchmark mode on, and channels-last input
      const benchmark = torch.backends.cudnn.benchmark;
      torch.backends.cudnn.benchmark = true;
      try {
        const cl = F.conv2d(x.cuda().to({ memoryFormat: 'channelsLast' }), w.cuda(), { bias: b.cuda(), padding: 1, stride: 2 });
        assertClose(cl.cpu().toTypedArray(), cpu.toTypedArray() as Float32Array, { rtol: 1e-4, atol: 1e-4, what: 'channels-last conv2d' });
      } finally {
        torch.backends.cudnn.benchmark = benchmark;
      }
    });
  } finally {
    torch.backends.cudnn.allowTF32 = tf32;
  }
});

test('CUDA memory statistics move with allocations', needsCuda, () => {
  torch.cuda.synchronize();
  const before = torch.cuda.memoryAllocated();
  const host = torch.memory();
  const t = torch.empty([1024, 1024], { device: 'cuda' }); // 4 MiB
  try {
    const during = torch.cuda.memoryAllocated();
    assert.ok(during - before >= 4 * 2 ** 20, `allocated ${before} -> ${during}`);
    const m = torch.memory();
    assert.equal(m.cuda[0]!.allocatedBytes, during);
    assert.equal(m.liveTensors, host.liveTensors + 1);
    assert.equal(m.hostBytes, host.hostBytes, 'CUDA tensors hold no host bytes');
    assert.ok(torch.cuda.memoryReserved() >= during);
    assert.ok(torch.cuda.maxMemoryAllocated() >= during);
    assert.equal(torch.cuda.memoryAllocated(0), during);
    assert.equal(torch.cuda.memoryAllocated('cuda:0'), during);
  } finally {
    t.dispose();
  }
  assert.equal(torch.cuda.memoryAllocated(), before);
  const reserved = torch.cuda.memoryReserved();
  torch.cuda.emptyCache();
  assert.ok(torch.cuda.memoryReserved() <= reserved);
});

test('toTypedArrayAsync copies from CUDA', needsCuda, async () => {
  const x = torch.arange(1000, { dtype: 'float32' });
  const g = x.cuda();
  const h = g.half();
  try {
    const a = await g.toTypedArrayAsync();
    assert.ok(a instanceof Float32Array);
    assert.deepEqual(a, x.toTypedArray());
    const hb = await h.toTypedArrayAsync();
    assert.ok(hb instanceof Uint16Array);
    assert.deepEqual(hb, torch.tidy(() => x.half().toTypedArray()));
    const all = await Promise.all([g.toTypedArrayAsync(), g.toTypedArrayAsync()]);
    assert.deepEqual(all[0], all[1]);
  } finally {
    x.dispose();
    g.dispose();
    h.dispose();
  }
});

test('cuDNN benchmark and deterministic getters read libtorch itself: a flag set natively, past the JS setter, reads back', async () => {
  const { native } = (await import(new URL('../../dist/native.js', import.meta.url).href)) as typeof import('../lib/native.js');
  const { benchmark, deterministic } = torch.backends.cudnn;
  try {
    for (const v of [true, false]) {
      native.setBackendFlag('benchmark', v);
      assert.equal(torch.backends.cudnn.benchmark, v);
      native.setBackendFlag('deterministic', !v);
      assert.equal(torch.backends.cudnn.deterministic, !v);
    }
  } finally {
    torch.backends.cudnn.benchmark = benchmark;
    torch.backends.cudnn.deterministic = deterministic;
  }
});
