// Finding libtorch, building against it, and refusing to run against another one.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { pathToFileURL } from 'node:url';

import * as torch from 'torchnode';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', '..');
const finder = await import(pathToFileURL(path.join(root, 'scripts', 'find-libtorch.mjs')).href);
const record = JSON.parse(readFileSync(path.join(root, 'build', 'Release', 'torchnode-build.json'), 'utf8'));

test('the libtorch found now, by the step the build used, is the one the addon was built against', () => {
  const { found } = finder.findLibtorch({ env: { ...process.env, TORCHNODE_LIBTORCH_SOURCE: record.source } });
  assert.ok(found, 'a libtorch is found');
  assert.equal(found.libraryDir, record.libraryDir);
  assert.equal(found.version, record.version);
  assert.equal(torch.buildInfo.version, record.version);
});

test("a Debian libtorch reports the Debian package's version, not its headers'", (t) => {
  let pkg: string;
  try {
    pkg = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'libtorch-dev'], { encoding: 'utf8' });
  } catch {
    t.skip('libtorch-dev is not installed from Debian here');
    return;
  }
  const upstream = pkg.replace(/^\d+:/, '').replace(/[+~-].*$/, '');
  const { found } = finder.findLibtorch({ python: '/nonexistent/python3' });
  assert.equal(found.source, 'system');
  assert.equal(found.version, upstream);
  assert.match(found.detail, /^libtorch[\d.]+ /);
});

test('an explicit LIBTORCH that is not a libtorch is an error, not a hint', () => {
  const { found, tried, explicit } = finder.findLibtorch({ env: { LIBTORCH: '/nonexistent/libtorch' } });
  assert.equal(found, null);
  assert.equal(explicit, true);
  assert.match(tried[0], /^LIBTORCH=\/nonexistent\/libtorch: missing ATen\/ATen\.h, torch\/version\.h, /);
});

test('LIBTORCH pointing at a libtorch layout is used first', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'torchnode-libtorch-'));
  try {
    symlinkSync(path.join(record.includeDirs[0]), path.join(dir, 'include'));
    mkdirSync(path.join(dir, 'lib'));
    for (const lib of ['c10', 'torch_cpu', 'torch']) {
      symlinkSync(path.join(record.libraryDir, `lib${lib}.so`), path.join(dir, 'lib', `lib${lib}.so`));
    }
    const { found } = finder.findLibtorch({ env: { LIBTORCH: dir } });
    assert.equal(found.source, 'LIBTORCH');
    assert.equal(found.libraryDir, path.join(dir, 'lib'));
    assert.match(found.version, /^\d+\.\d+\.\d+/);
    assert.equal(found.cxx11Abi, record.cxx11Abi);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with nothing found, every place tried is listed and the fix is spelled out', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'torchnode-empty-'));
  try {
    const { found, tried } = finder.findLibtorch({ python: '/nonexistent/python3', systemRoot: empty, env: {} });
    assert.equal(found, null);
    assert.equal(tried.length, 3);
    assert.equal(tried[0], 'LIBTORCH: not set');
    assert.equal(tried[1], '/nonexistent/python3: could not run (ENOENT)');
    assert.match(tried[2], /^system libtorch: missing /);
    const help = finder.installHelp();
    assert.match(help, /sudo apt-get install -y libtorch-dev/);
    assert.match(help, /python3 -m pip install torch/);
    assert.match(help, /LIBTORCH=\/path\/to\/libtorch npm rebuild torchnode/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('the installer fails cleanly on a bad LIBTORCH and leaves the built addon alone', () => {
  const addon = path.join(root, 'build', 'Release', 'torchnode.node');
  const before = statSync(addon).mtimeMs;
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'install.mjs')], {
    env: { ...process.env, LIBTORCH: '/nonexistent/libtorch' }, encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^torchnode: no usable libtorch found\. Tried:\n {2}- LIBTORCH=\/nonexistent\/libtorch: missing /);
  assert.match(r.stderr, /Install one of these, then run `npm rebuild torchnode`/);
  assert.equal(statSync(addon).mtimeMs, before);
});

// A copy of the package whose build record says it was built against another libtorch.
function packageCopy(edit: (rec: Record<string, unknown>) => Record<string, unknown> | null): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'torchnode-pkg-'));
  cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  cpSync(path.join(root, 'build', 'Release', 'torchnode.node'), path.join(dir, 'build', 'Release', 'torchnode.node'));
  const rec = edit({ ...record });
  if (rec) writeFileSync(path.join(dir, 'build', 'Release', 'torchnode-build.json'), JSON.stringify(rec));
  return dir;
}

function loadIn(dir: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e',
    `import(${JSON.stringify(pathToFileURL(path.join(dir, 'dist', 'index.js')).href)}).then(
      (t) => console.log('loaded', t.zeros([2]).shape),
      (e) => { console.log(e.name + ': ' + e.message); process.exit(3); })`], { encoding: 'utf8' });
}

test('loading against a different libtorch than the build record says is a clear error', () => {
  const fake = mkdtempSync(path.join(tmpdir(), 'torchnode-otherlib-'));
  // Another file under the expected name: the loaded libtorch is then not the recorded one.
  symlinkSync(path.join(record.libraryDir, 'libc10.so'), path.join(fake, 'libtorch_cpu.so'));
  const dir = packageCopy((rec) => ({ ...rec, libraryDir: fake, version: '9.9.9' }));
  try {
    const r = loadIn(dir);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const expected = execFileSync('readlink', ['-f', path.join(fake, 'libtorch_cpu.so')], { encoding: 'utf8' }).trim();
    assert.match(r.stdout, new RegExp(`^TorchError: torchnode was built against libtorch 9\\.9\\.9 \\(${expected.replace(/[.]/g, '\\.')}\\) but loaded libtorch `));
    assert.match(r.stdout, /rebuild with `npm rebuild torchnode`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(fake, { recursive: true, force: true });
  }
});

test('a missing build record is a clear error', () => {
  const dir = packageCopy(() => null);
  try {
    const r = loadIn(dir);
    assert.equal(r.status, 3);
    assert.match(r.stdout, /^TorchError: torchnode's build record .*torchnode-build\.json is missing or unreadable: rebuild with `npm rebuild torchnode`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same copy with the true record loads and works', () => {
  const dir = packageCopy((rec) => rec);
  try {
    const r = loadIn(dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.trim(), 'loaded [ 2 ]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TORCHNODE_LIBTORCH_SOURCE takes only the step it names; a wrong value is an error that lists the right ones', (t) => {
  const bad = finder.findLibtorch({ env: { TORCHNODE_LIBTORCH_SOURCE: 'pip' } });
  assert.equal(bad.found, null);
  assert.equal(bad.explicit, true);
  assert.deepEqual(bad.tried, ['TORCHNODE_LIBTORCH_SOURCE=pip: expected LIBTORCH, python3, system']);
  const noDir = finder.findLibtorch({ env: { TORCHNODE_LIBTORCH_SOURCE: 'LIBTORCH' } });
  assert.deepEqual([noDir.found, noDir.tried], [null, ['TORCHNODE_LIBTORCH_SOURCE=LIBTORCH but LIBTORCH is not set']]);
  // python3 alone: an interpreter without torch is not followed by the system libtorch
  const py = finder.findLibtorch({ python: '/nonexistent/python3', env: { TORCHNODE_LIBTORCH_SOURCE: 'python3' } });
  assert.deepEqual([py.found, py.explicit, py.tried], [null, true, ['/nonexistent/python3: could not run (ENOENT)']]);
  let system;
  try {
    system = finder.findLibtorch({ env: { TORCHNODE_LIBTORCH_SOURCE: 'system' } }).found;
  } catch (e) {
    assert.fail(e as Error);
  }
  if (!system) {
    t.skip('no system libtorch here (Debian: apt-get install libtorch-dev)');
    return;
  }
  assert.equal(system.source, 'system');
  // Debian's python3-torch runs on that very libtorch: the tests compare with it
  const debianTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  assert.equal(system.python, debianTorch ? '/usr/bin/python3' : null);
});

test('the build record names the Python whose PyTorch runs on the libtorch used', (t) => {
  if (!record.python) {
    t.skip(`no such Python was found for libtorch ${record.version} (${record.detail})`);
    return;
  }
  const lib = spawnSync(record.python, ['-c', 'import torch, os; print(os.path.realpath(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")))'],
    { encoding: 'utf8' });
  assert.equal(lib.status, 0, lib.stderr);
  assert.equal(lib.stdout.trim(), execFileSync('realpath', [path.join(record.libraryDir, 'libtorch_cpu.so')], { encoding: 'utf8' }).trim());
});
