// Two "hosts" on one machine (network namespaces joined by a veth pair): the launcher trains a
// CIFAR ResNet-20 for a few steps with one rank on each. Skipped, saying why, where the machine
// does not allow namespaces or lacks the CIFAR-10 cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';
import { cifar10CacheDir } from '../lib/data/home.js';

import { fixturesDir } from './helpers.js';

const root = path.resolve(fixturesDir, '..', '..');
// where torchnode's own loader keeps it (TORCHNODE_HOME, XDG_CACHE_HOME or ~/.cache)
const cifar = cifar10CacheDir();

function whyNot(): string | null {
  if (!torch.distributed.availableBackends().gloo) return 'torchnode was built without Gloo';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!existsSync(cifar)) return `needs the CIFAR-10 cache at ${cifar}`;
  const probe = `tnprobe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error || add.status !== 0) return `this machine does not allow network namespaces: ip netns add: ${(add.error?.message ?? add.stderr).trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

test('launch across two network namespaces trains a CIFAR ResNet-20, one rank per host', async (t) => {
  const reason = whyNot();
  if (reason) return t.skip(reason);
  const out = mkdtempSync(path.join(tmpdir(), 'torchnode-netns-'));
  try {
    const r = spawnSync(path.join(root, 'scripts', 'netns', 'two-hosts.sh'), ['--', 'train', '--model', 'resnet20', '--epochs', '1',
      '--batch-size', '16', '--limit-train', '128', '--limit-test', '32', '--data-source', 'cache', '--out', out, '--seed', '4'],
    { encoding: 'utf8', env: { ...process.env, TORCHNODE_NETNS_PORT: String(29000 + (process.pid % 900)) }, timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const text = r.stdout + r.stderr;
    assert.match(text, /\[host0\] torchnode launch: node 0 of 2: starting rank 0 of 2 \(rendezvous at 10\.213\.77\.1:\d+\)/);
    assert.match(text, /\[host1\] torchnode launch: node 1 of 2: starting rank 1 of 2 \(rendezvous at 10\.213\.77\.1:\d+\)/);
    assert.match(text, /\[host0\] \[rank 0\] torchnode: data-parallel over 2 ranks \(gloo\), batch 16 per rank/);
    // 128 images over 2 ranks in batches of 16: 4 steps each
    assert.match(text, /\[host0\] \[rank 0\] epoch 1\/1 4\/4 /);
    assert.match(text, /two-hosts: host0 exited with 0, host1 with 0/);
    assert.equal(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
