// `npm install` entry: finds libtorch (installing Debian's libtorch-dev as root when nothing is
// found), compiles the addon with cmake-js against it and records what it was built against.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import { findLibtorch, installHelp } from './find-libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const log = (msg) => console.log(`torchnode: ${msg}`);

function fail(msg) {
  console.error(`torchnode: ${msg}`);
  process.exit(1);
}

function isDebianLike() {
  return existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get');
}

function aptInstall() {
  log('no libtorch found; installing Debian\'s libtorch-dev with apt-get (set TORCHNODE_NO_APT=1 to turn this off)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'libtorch-dev']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
}

function locate() {
  let result = findLibtorch();
  if (!result.found && !result.explicit && process.getuid?.() === 0 && isDebianLike() &&
      !process.env.TORCHNODE_NO_APT) {
    aptInstall();
    result = findLibtorch();
  }
  if (!result.found) {
    fail(`no usable libtorch found. Tried:\n${result.tried.map((t) => `  - ${t}`).join('\n')}\n${installHelp()}`);
  }
  return result.found;
}

// PyTorch's own extension builder moved to C++20 with 2.12; older headers want C++17.
function cxxStandard(version) {
  const [major, minor] = String(version).split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 12) ? 20 : 17;
}

function cmakeDefines(lib) {
  const defs = {
    TORCHNODE_TORCH_INCLUDE_DIRS: lib.includeDirs.join(';'),
    TORCHNODE_TORCH_LIBRARY_DIR: lib.libraryDir,
    TORCHNODE_CXX11_ABI: String(lib.cxx11Abi),
    TORCHNODE_CXX_STANDARD: String(cxxStandard(lib.version)),
  };
  if (lib.cuda) {
    if (!lib.cuda.libraryDirs.length) fail(`libtorch at ${lib.libraryDir} has CUDA but no libcudart was found next to it`);
    if (!lib.cuda.includeDirs.length) fail('libtorch has CUDA but the CUDA headers (cuda_runtime_api.h) were not found; set CUDA_HOME');
    if (lib.cuda.missingHeaders.length) {
      const wheels = lib.cuda.missingHeaders.map(([, wheel]) => `${wheel}==${lib.cudaVersion ?? '13.0'}.*`).join(' ');
      fail(`libtorch has CUDA but these CUDA headers are missing: ${lib.cuda.missingHeaders.map(([file]) => file).join(', ')} ` +
        `(searched ${lib.cuda.includeDirs.join(', ')}). Install them into that PyTorch's Python, then rebuild:\n` +
        `  python3 -m pip install ${wheels}\nor set CUDA_HOME to a CUDA ${lib.cudaVersion ?? ''} toolkit.`);
    }
    defs.TORCHNODE_CUDA = 'ON';
    defs.TORCHNODE_CUDA_INCLUDE_DIRS = lib.cuda.includeDirs.join(';');
    defs.TORCHNODE_CUDA_LIBRARY_DIRS = lib.cuda.libraryDirs.join(';');
  }
  return Object.entries(defs).map(([k, v]) => `--CD${k}=${v}`);
}

// With --as-needed a linker drops torch_cuda and CUDA then silently looks absent.
function checkCudaLinked(addon) {
  const out = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
  if (!out.includes('libtorch_cuda.so')) fail(`${addon} does not link libtorch_cuda.so: CUDA would be unavailable`);
  log('libtorch_cuda.so is linked (NEEDED)');
}

const lib = locate();
log(`using libtorch ${lib.version} from ${lib.source}: ${lib.detail}`);
log(`  headers: ${lib.includeDirs.join(', ')}`);
log(`  libraries: ${lib.libraryDir} (C++11 ABI ${lib.cxx11Abi}); CUDA: ${lib.cuda ? lib.cudaVersion ?? 'yes' : 'none'}`);

// CMake's cache remembers the libraries it found: a build against another libtorch starts from a
// fresh cache (the previous addon and its record stay until the new ones replace them).
const buildDir = path.join(root, 'build');
const previous = path.join(buildDir, 'Release', 'torchnode-build.json');
if (existsSync(previous)) {
  let old = null;
  try {
    old = JSON.parse(readFileSync(previous, 'utf8'));
  } catch {
    // unreadable: treat as another build
  }
  if (old?.libraryDir !== lib.libraryDir || old?.version !== lib.version) {
    log(`the previous build used libtorch ${old?.version ?? '?'} (${old?.libraryDir ?? '?'}): configuring afresh`);
    for (const stale of ['CMakeCache.txt', 'CMakeFiles', 'gloo-include']) rmSync(path.join(buildDir, stale), { recursive: true, force: true });
  }
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--directory', root, '--parallel', String(availableParallelism()), ...cmakeDefines(lib)];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (r.status !== 0) fail(`building the addon failed (cmake-js exit ${r.status})`);

const addon = path.join(root, 'build', 'Release', 'torchnode.node');
if (!existsSync(addon)) fail(`the build finished but ${addon} is missing`);
if (lib.cuda) checkCudaLinked(addon);

const record = {
  source: lib.source,
  detail: lib.detail,
  // the Python whose PyTorch runs on this libtorch (tests and benchmarks compare with it), or null
  python: lib.python ?? null,
  version: lib.version,
  libraryDir: lib.libraryDir,
  includeDirs: lib.includeDirs,
  cxx11Abi: lib.cxx11Abi,
  cuda: lib.cuda ? (lib.cudaVersion ?? 'unknown') : null,
  cudnn: lib.cudnnVersion ?? null,
  node: process.version,
  builtAt: new Date().toISOString(),
};
mkdirSync(path.dirname(addon), { recursive: true });
const tmp = `${addon}.json.tmp`;
writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
renameSync(tmp, path.join(path.dirname(addon), 'torchnode-build.json'));
log(`built ${path.relative(root, addon)}`);
