// torchnode.distributed on CPU with Gloo over loopback: ranks are child processes (one thread
// each), collectives, DDP gradient parity, failures, the sampler and the launcher.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';
import { cifar10CacheDir } from '../lib/data/home.js';

import { fixturesDir } from './helpers.js';

const { distributed: d } = torch;
const root = path.resolve(fixturesDir, '..', '..');
const rankScript = path.join(fixturesDir, 'distributed', 'rank.mjs');
const cli = path.join(root, 'dist', 'cli.js');
const gloo = d.availableBackends().gloo ? {} : { skip: 'torchnode was built without Gloo (no gloo headers at build time)' };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Exit { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

function run(file: string, args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<Exit> {
  const started = Date.now();
  const child = spawn(file, args, { env: { ...process.env, OMP_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
  }));
}

async function twoRanks(scenario: string, extra: Record<string, string> = {}): Promise<Exit[]> {
  const init = `tcp://127.0.0.1:${await freePort()}`;
  return Promise.all([0, 1].map((rank) => run(process.execPath, [rankScript],
    { SCENARIO: scenario, RANK: String(rank), WORLD_SIZE: '2', INIT: init, ...extra })));
}

const json = (e: Exit) => JSON.parse(e.stdout.trim().split('\n').at(-1)!);

test('allReduce (sum, avg, max), broadcast, allGather and barrier across two ranks', gloo, async () => {
  const ranks = await twoRanks('collectives');
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  const expected = { sum: [3, 30], avg: [1.5, 3], max: [1, 0], broadcast: [6], allGather: [[[0, 0]], [[1, 2]]] };
  for (const r of ranks) assert.deepEqual(json(r), expected);
});

test('DDP: rank 0 weights at wrap, averaged half-batch gradients equal the whole batch, identical parameters after a step, noSync accumulation', gloo, async () => {
  const ranks = await twoRanks('ddp');
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  const [a, b] = ranks.map(json);
  // every parameter bit-identical across ranks after the step
  assert.equal(a.paramsSha, b.paramsSha);
  for (const r of [a, b]) {
    assert.equal(r.buckets, 3);
    assert.equal(r.overlapped, 3, 'every bucket started inside backward');
    // float32 rounding of a sum taken in another order
    assert.ok(r.gradDiff <= 1e-6 * r.gradScale + 1e-7, `gradients differ from the whole batch's by ${r.gradDiff}`);
    assert.ok(r.accumDiff <= 1e-6 * r.gradScale + 1e-7, `accumulated gradients differ by ${r.accumDiff}`);
  }
  // under noSync() each rank kept its own gradients
  assert.notEqual(a.noSyncLocal[0], a.noSyncLocal[1]);
});

test('DDP broadcastBuffers as PyTorch: rank 0\'s buffers copied before a forward that follows a synchronised training forward', gloo, async () => {
  const ranks = await twoRanks('ddpBuffers');
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  ranks.map(json).forEach((r, rank) => {
    assert.equal(r.atWrap, 0, 'rank 0\'s buffer at wrap');
    // before the first forward and after a synchronised one: rank 0's; after a noSync() or a noGrad forward: the rank's own
    assert.deepEqual(r.seen, [10, 20, 30 + rank, 40, 50 + rank]);
    // nothing is copied after the last step (as in PyTorch): a drifted rank keeps its value until the next forward
    assert.equal(r.after, 50 + rank);
    assert.deepEqual(r.off, [60 + rank], 'broadcastBuffers: false copies nothing');
  });
});

test('a collective waiting for a late rank leaves the event loop running', gloo, async () => {
  const [early] = (await twoRanks('nonblocking')).map(json);
  assert.ok(early.waitedMs >= 800, `waited ${early.waitedMs} ms`);
  // a 10 ms timer kept firing through the wait
  assert.ok(early.ticks >= early.waitedMs / 10 / 3, `${early.ticks} ticks in ${early.waitedMs} ms`);
});

test('a killed rank makes the survivor fail within the timeout with an error naming it', gloo, async () => {
  const [survivor, killed] = await twoRanks('killed', { TIMEOUT_MS: '5000' });
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(survivor.code, 1);
  assert.match(survivor.stderr, /TorchError: allReduce failed on rank 0: rank 1 of 2 stopped taking part \(exited, hung or lost its connection\) \((Connection closed by peer|Read error)/);
  assert.ok(json(survivor).failedAfterMs < 5000, `failed after ${json(survivor).failedAfterMs} ms`);
});

test('a rank that never reaches a collective makes the others fail after the timeout with an error naming it', gloo, async () => {
  const [waiting] = await twoRanks('hung', { TIMEOUT_MS: '2000' });
  assert.equal(waiting.code, 1);
  assert.match(waiting.stderr, /TorchError: allReduce failed on rank 0: rank 1 of 2 stopped taking part \(exited, hung or lost its connection\) \(Operation timed out!\)/);
  // the timeout, then up to min(timeout, 3 s) for the survivors to find each other
  const { failedAfterMs } = json(waiting);
  assert.ok(failedAfterMs >= 2000 && failedAfterMs < 5000, `failed after ${failedAfterMs} ms`);
});

test('initProcessGroup: clear errors for a bad init method, a missing rank, a port in use, an absent rank and a world size mismatch', gloo, async () => {
  await assert.rejects(d.newGroup({ initMethod: 'udp://x:1', rank: 0, worldSize: 1 }),
    { name: 'TypeError', message: "Expected 'env://', 'tcp://host:port' or 'file:///path' for initMethod but received 'udp://x:1'" });
  await assert.rejects(d.newGroup({ initMethod: 'tcp://127.0.0.1:99999', rank: 0, worldSize: 1 }),
    { name: 'TypeError', message: "Expected a port in 1-65535 for the port of tcp://127.0.0.1:99999 but received '99999'" });
  await assert.rejects(d.newGroup({ initMethod: 'tcp://127.0.0.1:1234', rank: 2, worldSize: 2 }),
    { name: 'TypeError', message: 'Expected a rank in 0-1 for rank but received 2' });
  const saved = { RANK: process.env.RANK, WORLD_SIZE: process.env.WORLD_SIZE, MASTER_ADDR: process.env.MASTER_ADDR };
  delete process.env.MASTER_ADDR;
  await assert.rejects(d.newGroup({ rank: 0, worldSize: 1 }),
    { name: 'TypeError', message: "initMethod 'env://' needs MASTER_ADDR and MASTER_PORT in the environment (torchnode launch sets them)" });
  delete process.env.RANK;
  delete process.env.WORLD_SIZE;
  await assert.rejects(d.newGroup({ initMethod: 'tcp://127.0.0.1:1234' }),
    { name: 'TypeError', message: 'initProcessGroup() needs rank and worldSize: pass them, or set RANK and WORLD_SIZE (torchnode launch sets them)' });
  Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));

  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const busyPort = (busy.address() as { port: number }).port;
  try {
    await assert.rejects(d.newGroup({ initMethod: `tcp://127.0.0.1:${busyPort}`, rank: 0, worldSize: 1, timeoutMs: 2000 }),
      { name: 'TorchError', message: `initProcessGroup failed: rank 0 cannot serve the store on 127.0.0.1:${busyPort}: the port is already in use (choose another port)` });
  } finally {
    busy.close();
  }

  let port = await freePort();
  const started = Date.now();
  await assert.rejects(d.newGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 2, timeoutMs: 1000 }),
    { name: 'TorchError', message: 'initProcessGroup failed: rank 1 of 2 did not join within 1000 ms' });
  assert.ok(Date.now() - started < 3000);

  // two ranks in this process (their rendezvous runs on libuv workers), disagreeing on the world size
  port = await freePort();
  const results = await Promise.allSettled([
    d.newGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 2, timeoutMs: 3000 }),
    d.newGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 1, worldSize: 3, timeoutMs: 3000 }),
  ]);
  assert.deepEqual(results.map((r) => r.status === 'rejected' && (r.reason as Error).message), [
    'initProcessGroup failed: world size mismatch: rank 0 has worldSize 2, rank 1 has 3',
    'initProcessGroup failed: world size mismatch: rank 0 has worldSize 2, rank 1 has 3',
  ]);
});

test('a single-rank group over a FileStore; collectives are promises; misuse is a clear error', gloo, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'torchnode-filestore-'));
  try {
    const group = await d.initProcessGroup({ initMethod: `file://${path.join(dir, 'store')}`, rank: 0, worldSize: 1 });
    assert.equal(d.getRank(), 0);
    assert.equal(d.getWorldSize(), 1);
    await assert.rejects(d.initProcessGroup({ initMethod: 'file:///nowhere', rank: 0, worldSize: 1 }),
      { name: 'TorchError', message: 'the default process group is already initialized: call destroyProcessGroup() first' });
    const t = torch.tensor([1, 2, 3]);
    const pending = d.allReduce(t, 'max');
    assert.ok(pending instanceof Promise);
    await pending;
    assert.deepEqual(t.toArray(), [1, 2, 3]);
    assert.throws(() => d.allReduce(t, 'mean' as never), { name: 'TypeError', message: "Expected 'sum', 'avg', 'max', 'min' or 'product' for op but received \"mean\"" });
    assert.throws(() => d.broadcast(t, 1), { name: 'TypeError', message: 'Expected a rank in 0-0 for src but received 1' });
    assert.throws(() => d.allReduce([1, 2] as never), { name: 'TypeError', message: 'Expected a Tensor for tensor but received an array of length 2' });
    // DDP over one rank: the average of one is the gradient itself; a second backward before syncing is an error
    const model = new torch.nn.Linear({ inFeatures: 3, outFeatures: 2 });
    const ddp = await d.DistributedDataParallel.create(model);
    const x = torch.tensor([[1, 2, 3]]);
    ddp.forward(x).sum().backward();
    assert.throws(() => ddp.forward(x).sum().backward(), {
      name: 'TorchError',
      message: /^DistributedDataParallel: a second backward\(\) ran before syncGradients\(\); await syncGradients\(\) after each backward, or accumulate inside noSync\(\)/,
    });
    await ddp.syncGradients();
    assert.deepEqual(model.weight.grad!.toArray(), [[1, 2, 3], [1, 2, 3]]);
    ddp.release();
    d.destroyProcessGroup();
    assert.equal(d.isInitialized(), false);
    assert.throws(() => group.barrier(), { name: 'TorchError', message: 'the process group has been destroyed' });
    assert.throws(() => d.getRank(), { name: 'TorchError', message: 'the default process group is not initialized: call initProcessGroup() first' });
  } finally {
    d.destroyProcessGroup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nccl: available only with a libtorch that has it, a clear error elsewhere', async () => {
  if (d.availableBackends().nccl) {
    if (torch.cuda.isAvailable()) {
      // one rank over one GPU: collectives on CUDA tensors, as promises
      const dir = mkdtempSync(path.join(tmpdir(), 'torchnode-nccl-'));
      const group = await d.newGroup({ backend: 'nccl', initMethod: `file://${path.join(dir, 'store')}`, rank: 0, worldSize: 1 });
      const x = torch.tensor([1, 2, 3], { device: 'cuda' });
      try {
        await group.allReduce(x, 'sum');
        await group.broadcast(x, 0);
        assert.deepEqual(x.toArray(), [1, 2, 3]);
      } finally {
        x.dispose();
        group.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
      return;
    }
    // a CUDA build on a machine without a GPU
    return assert.rejects(d.newGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:1234', rank: 0, worldSize: 1 }), {
      name: 'TorchError', message: "backend 'nccl' needs a CUDA device, and none is visible; use backend 'gloo'",
    });
  }
  await assert.rejects(d.newGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:1234', rank: 0, worldSize: 1 }), {
    name: 'TorchError',
    message: "torchnode was built without NCCL: the libtorch it was built against has none (a CUDA build of PyTorch has it); use backend 'gloo'",
  });
});

test('DistributedSampler: disjoint shards that cover each epoch, padded or dropped consistently', () => {
  const shards = (o: { size: number; worldSize: number; dropLast?: boolean; pad?: boolean; shuffle?: boolean }, epoch: number) =>
    Array.from({ length: o.worldSize }, (_, rank) => [...new d.DistributedSampler({ ...o, rank, seed: 3 }).indices(epoch)]);
  // 10 samples, 3 ranks, padded: 4 each, the 2 extra repeat the permutation's start
  const padded = shards({ size: 10, worldSize: 3 }, 0);
  assert.deepEqual(padded.map((s) => s.length), [4, 4, 4]);
  assert.deepEqual([...new Set(padded.flat())].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // without padding: disjoint, and together exactly the data set
  for (const o of [{ size: 10, worldSize: 3, pad: false }, { size: 1000, worldSize: 4 }]) {
    const s = shards(o, 5);
    assert.deepEqual(s.flat().sort((a, b) => a - b), Array.from({ length: o.size }, (_, i) => i));
  }
  const dropped = shards({ size: 10, worldSize: 3, dropLast: true }, 1);
  assert.deepEqual(dropped.map((s) => s.length), [3, 3, 3]);
  assert.equal(new Set(dropped.flat()).size, 9);
  // seeded: the same shards for an epoch every time, another order the next epoch
  assert.deepEqual(shards({ size: 50, worldSize: 2 }, 2), shards({ size: 50, worldSize: 2 }, 2));
  assert.notDeepEqual(shards({ size: 50, worldSize: 2 }, 2), shards({ size: 50, worldSize: 2 }, 3));
  assert.deepEqual(shards({ size: 6, worldSize: 2, shuffle: false }, 0), [[0, 2, 4], [1, 3, 5]]);
  assert.throws(() => new d.DistributedSampler({ size: 10, rank: 2, worldSize: 2 }), { name: 'TypeError', message: 'Expected a rank in 0-1 for rank but received 2' });
});

test('launch: torchrun variables, prefixed output, and every rank stopped with a clear message when one fails', gloo, async () => {
  const port = String(await freePort());
  const env = await run(process.execPath, [cli, 'launch', '--nproc-per-node', '2', '--master-port', port, '--',
    'node', '-e', 'const e = process.env; console.log([e.RANK, e.WORLD_SIZE, e.LOCAL_RANK, e.MASTER_ADDR, e.MASTER_PORT, e.OMP_NUM_THREADS].join(" "))'], { OMP_NUM_THREADS: '' });
  assert.equal(env.code, 0, env.stderr);
  assert.deepEqual(env.stdout.trim().split('\n').sort(), [`[rank 0] 0 2 0 127.0.0.1 ${port} 1`, `[rank 1] 1 2 1 127.0.0.1 ${port} 1`]);

  const failing = await run(process.execPath, [cli, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', rankScript],
    { SCENARIO: 'killed', INIT: 'env://', TIMEOUT_MS: '5000' });
  assert.match(failing.stderr, /torchnode launch: rank 1 \(pid \d+\) was killed by SIGKILL; stopping the other ranks\n/);
  assert.match(failing.stderr, /torchnode launch: failed: rank 1 exited with code 137\n/);
  assert.equal(failing.code, 137);
  assert.ok(failing.ms < 15_000);

  const usage = await run(process.execPath, [cli, 'launch', '--nproc-per-node', '2'], {});
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, 'torchnode launch: missing the command to run after -- (see torchnode launch --help)\n');
  const loopback = await run(process.execPath, [cli, 'launch', '--nproc-per-node', '1', '--nnodes', '2', '--', 'train'], {});
  assert.equal(loopback.code, 2);
  assert.equal(loopback.stderr, "torchnode launch: Expected node 0's address, reachable from every node, for --master-addr but received 127.0.0.1 (with 2 nodes) (see torchnode launch --help)\n");
  const badRank = await run(process.execPath, [cli, 'launch', '--nproc-per-node', '1', '--nnodes', '2', '--node-rank', '2', '--master-addr', '10.0.0.1', '--', 'train'], {});
  assert.equal(badRank.stderr, 'torchnode launch: Expected a node rank in 0-1 for --node-rank but received 2 (see torchnode launch --help)\n');
});

// where torchnode's own loader keeps it (TORCHNODE_HOME, XDG_CACHE_HOME or ~/.cache)
const cifar = cifar10CacheDir();
const withCifar = existsSync(cifar) && d.availableBackends().gloo ? {} : { skip: `needs Gloo and the CIFAR-10 cache at ${cifar}` };

test('torchnode train under launch: only rank 0 reports and writes; a stopped run resumes on both ranks', withCifar, async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'torchnode-ddp-train-'));
  try {
    const args = (port: number, ...more: string[]) => [cli, 'launch', '--nproc-per-node', '2', '--master-port', String(port), '--', 'train',
      '--model', 'resnet20', '--epochs', '1', '--batch-size', '16', '--limit-train', '512', '--limit-test', '64', '--log-every', '1',
      '--data-source', 'cache', '--out', out, '--seed', '2', ...more];
    // stop it after a few steps, as Ctrl-C would: both ranks stop at the same step, rank 0 writes the checkpoint
    const first = spawn(process.execPath, args(await freePort()), { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let signalled = false;
    first.stderr.on('data', (c) => {
      stderr += c;
      if (!signalled && /\[rank 0\] epoch 1\/1 1\/16/.test(stderr)) signalled = first.kill('SIGINT');
    });
    const code = await new Promise((resolve) => first.on('close', resolve));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /\[rank 0\] torchnode: stopped at epoch 1, batch \d+; checkpoint written/);
    assert.doesNotMatch(stderr, /\[rank 1\] (epoch|torchnode: stopped)/);
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'last.safetensors', 'last.state.safetensors']);

    const second = await run(process.execPath, args(await freePort(), '--resume'), {});
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /\[rank 0\] torchnode: resuming .* at epoch 1, batch \d+/);
    assert.match(second.stderr, /\[rank 0\] epoch 1\/1 16\/16 /);
    assert.doesNotMatch(second.stderr + second.stdout, /\[rank 1\] (epoch|test accuracy)/);
    assert.match(second.stdout, /^\[rank 0\] test accuracy [\d.]+% after 1 epochs/m);
    const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(metrics.length, 1);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
