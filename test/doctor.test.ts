// `torchnode doctor`: the build record and what the machine offers now.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('doctor prints the libtorch it was built against, threads, CUDA and cuDNN', () => {
  const r = run('doctor');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^torchnode \d+\.\d+\.\d+$/);
  assert.equal(lines[1], `libtorch:  ${torch.buildInfo.version} (found via ${torch.buildInfo.source}: ${torch.buildInfo.detail})`);
  assert.ok(lines.includes(`threads:   ${torch.getNumThreads()} (${availableParallelism()} cores)`), r.stdout);
  if (torch.cuda.isAvailable()) {
    assert.ok(lines.some((l) => l.startsWith('CUDA:      available, runtime ')), r.stdout);
    assert.ok(lines.includes(`  cuda:0  ${torch.cuda.getDeviceName(0)}`), r.stdout);
  } else if (torch.buildInfo.cuda) {
    // a CUDA build on a machine without a GPU: what it was built with, and that no device is there
    assert.ok(lines.includes(`CUDA:      not available: CUDA ${torch.buildInfo.cuda} build, no device visible`), r.stdout);
    assert.ok(lines.some((l) => /^cuDNN: {5}\d+\.\d+\.\d+ \(in the build; no device visible\)$/.test(l)), r.stdout);
    const d = torch.distributed.availableBackends();
    assert.ok(lines.includes(`distributed: gloo ${d.gloo ? 'yes' : 'no (built without gloo headers)'}, nccl ${d.nccl ? "yes (needs a CUDA device; not yet run across GPUs by torchnode's tests)" : 'no (this libtorch has no NCCL)'}`), r.stdout);
  } else {
    assert.ok(lines.includes('CUDA:      not available (this libtorch has no CUDA)'), r.stdout);
    assert.ok(lines.includes('cuDNN:     not available'), r.stdout);
    const d = torch.distributed.availableBackends();
    assert.ok(lines.includes(`distributed: gloo ${d.gloo ? 'yes' : 'no (built without gloo headers)'}, nccl no (this libtorch has no NCCL)`), r.stdout);
  }
});

test('doctor --json gives the same facts as JSON', () => {
  const r = run('doctor', '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.built, torch.buildInfo);
  assert.equal(report.cuda.available, torch.cuda.isAvailable());
  assert.equal(report.cuda.devices.length, torch.cuda.deviceCount());
  assert.equal(report.threads, torch.getNumThreads());
  assert.equal(report.cudnn.available, torch.backends.cudnn.isAvailable());
  assert.match(report.loaded.library, /libtorch_cpu\.so/);
});

test('doctor rejects unknown flags and commands with a message', () => {
  const bad = run('doctor', '--jsn');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'torchnode doctor: unknown option --jsn; did you mean --json? (see torchnode doctor --help)\n');
  const unknown = run('fly');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^torchnode: unknown command 'fly'/);
});
