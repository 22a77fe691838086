// Finds the libtorch that torchnode builds and runs against, in the documented order:
// LIBTORCH, the PyTorch in python3, a system libtorch (Debian/Ubuntu libtorch-dev).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';

const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];

// torch/version.h holds the numbers up to 2.x's move of them to torch/headeronly/version.h.
function headerVersion(includeDirs) {
  for (const name of [['torch', 'headeronly', 'version.h'], ['torch', 'version.h']]) {
    for (const dir of includeDirs) {
      const file = path.join(dir, ...name);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      const part = (key) => text.match(new RegExp(`#define TORCH_VERSION_${key}\\s+(\\d+)`))?.[1];
      if (part('MAJOR') !== undefined) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
    }
  }
  return null;
}

// A libtorch layout is usable when the headers and the three core libraries are really there.
function checkLayout(includeDirs, libraryDir) {
  const missing = [];
  if (!includeDirs.some((d) => existsSync(path.join(d, 'ATen', 'ATen.h')))) missing.push('ATen/ATen.h');
  if (!includeDirs.some((d) => existsSync(path.join(d, 'torch', 'version.h')))) missing.push('torch/version.h');
  for (const lib of ['c10', 'torch_cpu', 'torch']) {
    if (!existsSync(path.join(libraryDir, `lib${lib}.so`))) missing.push(path.join(libraryDir, `lib${lib}.so`));
  }
  return missing;
}

// Headers that cuda_runtime_api.h and cuda_fp16.h include, and the pip wheel that has each.
export const CUDA_HEADER_WHEELS = [['crt/host_defines.h', 'nvidia-cuda-crt'], ['nv/target', 'nvidia-cuda-cccl']];

function cudaFromDirs(libraryDir, includeCandidates, libCandidates) {
  if (!existsSync(path.join(libraryDir, 'libtorch_cuda.so'))) return null;
  const includeDirs = includeCandidates.filter((d) => existsSync(path.join(d, 'cuda_runtime_api.h')));
  // CUDAContext.h pulls in cuBLAS/cuSPARSE headers, which wheels keep in other folders.
  const extra = includeCandidates.filter((d) => existsSync(d) && !includeDirs.includes(d));
  const libraryDirs = libCandidates.filter((d) => existsSync(d) &&
    readdirSync(d).some((f) => f.startsWith('libcudart.so')));
  const all = includeDirs.length ? [...includeDirs, ...extra] : [];
  // pip's nvidia-cuda-runtime wheel ships cuda_runtime_api.h without the headers it includes:
  // those come in nvidia-cuda-crt and nvidia-cuda-cccl (a CUDA toolkit has them all).
  const missingHeaders = all.length ? CUDA_HEADER_WHEELS.filter(([file]) => !all.some((d) => existsSync(path.join(d, file)))) : [];
  return { includeDirs: all, libraryDirs, missingHeaders };
}

function fromLibtorchDir(dir, tried) {
  const root = path.resolve(dir);
  const includeDirs = [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')];
  const libraryDir = path.join(root, 'lib');
  const missing = checkLayout(includeDirs, libraryDir);
  if (missing.length) {
    tried.push(`LIBTORCH=${dir}: missing ${missing.join(', ')}`);
    return null;
  }
  const cudaHome = process.env.CUDA_HOME || process.env.CUDA_PATH || '/usr/local/cuda';
  const buildVersion = path.join(root, 'build-version');
  return {
    source: 'LIBTORCH',
    python: null,
    detail: root,
    version: existsSync(buildVersion) ? readFileSync(buildVersion, 'utf8').trim() : headerVersion(includeDirs),
    includeDirs,
    libraryDir,
    cxx11Abi: abiOfLibrary(libraryDir),
    cuda: cudaFromDirs(libraryDir, [path.join(cudaHome, 'include')], [path.join(cudaHome, 'lib64'), libraryDir]),
  };
}

// libtorch zips say their ABI in the symbol names: std::__cxx11 appears only with ABI 1.
function abiOfLibrary(libraryDir) {
  try {
    const out = execFileSync('nm', ['-D', '--defined-only', path.join(libraryDir, 'libc10.so')],
      { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.includes('__cxx11') ? 1 : 0;
  } catch {
    return 1;
  }
}

const PYTHON_PROBE = String.raw`
import glob, json, os, sys
try:
    import torch
    from torch.utils import cpp_extension as ce
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
    sys.exit(0)
cuda = torch.version.cuda
site = os.path.dirname(os.path.dirname(torch.__file__))
nv = sorted(glob.glob(os.path.join(site, "nvidia", "*")))
home = ce.CUDA_HOME if cuda else None
cudnn = None
if cuda:
    try:
        cudnn = torch.backends.cudnn.version()
    except Exception:
        pass
print(json.dumps({
    "version": torch.__version__,
    "includeDirs": ce.include_paths(),
    "libraryDir": os.path.join(os.path.dirname(torch.__file__), "lib"),
    "cxx11Abi": int(torch._C._GLIBCXX_USE_CXX11_ABI),
    "cuda": cuda,
    "cudnn": cudnn,
    "cudaIncludeCandidates": [os.path.join(d, "include") for d in nv] + ([os.path.join(home, "include")] if home else []),
    "cudaLibCandidates": [os.path.join(d, "lib") for d in nv] + ([os.path.join(home, "lib64")] if home else []),
    "executable": sys.executable,
}))
`;

function fromPython(python, tried) {
  let info;
  try {
    const out = execFileSync(python, ['-c', PYTHON_PROBE],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
    info = JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    tried.push(`${python}: could not run (${e.code ?? e.message})`);
    return null;
  }
  if (info.error) {
    tried.push(`${python}: ${info.error}`);
    return null;
  }
  const missing = checkLayout(info.includeDirs, info.libraryDir);
  if (missing.length) {
    tried.push(`${python} (PyTorch ${info.version}): missing ${missing.join(', ')}`);
    return null;
  }
  // Debian's python3-torch reports 1.13.0a0 for its 1.13.1 package: trust the package.
  const deb = debianPackageVersion(realPath(path.join(info.libraryDir, 'libtorch_cpu.so')));
  return {
    source: 'python3',
    python: info.executable,
    detail: `${info.executable} (PyTorch ${info.version}${deb ? `, ${deb.pkg} ${deb.version}` : ''})`,
    version: deb ? upstreamVersion(deb.version) : info.version,
    includeDirs: info.includeDirs,
    libraryDir: info.libraryDir,
    cxx11Abi: info.cxx11Abi,
    cudaVersion: info.cuda,
    cudnnVersion: info.cudnn,
    cuda: info.cuda ? cudaFromDirs(info.libraryDir, info.cudaIncludeCandidates, info.cudaLibCandidates) : null,
  };
}

function realPath(file) {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

// "1.13.1+dfsg-4" -> "1.13.1"
const upstreamVersion = (debVersion) => debVersion.replace(/^\d+:/, '').replace(/[+~-].*$/, '');

function debianPackageVersion(file) {
  if (!file) return null;
  try {
    const owner = execFileSync('dpkg', ['-S', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const pkg = owner.split(':')[0].trim();
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { pkg, version };
  } catch {
    return null;
  }
}

function fromSystem(tried, systemRoot) {
  const usr = path.join(systemRoot, 'usr');
  const includeDirs = [path.join(usr, 'include'), path.join(usr, 'include', 'torch', 'csrc', 'api', 'include')];
  const libraryDir = path.join(usr, 'lib', MULTIARCH ?? '');
  const missing = checkLayout(includeDirs, libraryDir);
  if (missing.length) {
    tried.push(`system libtorch: missing ${missing.join(', ')}`);
    return null;
  }
  const deb = debianPackageVersion(realPath(path.join(libraryDir, 'libtorch_cpu.so')));
  // Debian's 1.13.1 headers say 1.13.0: the package version is the true one.
  const version = deb ? upstreamVersion(deb.version) : headerVersion(includeDirs);
  return {
    source: 'system',
    python: pythonOfLibrary(libraryDir),
    detail: deb ? `${deb.pkg} ${deb.version}` : libraryDir,
    version,
    includeDirs,
    libraryDir,
    cxx11Abi: 1,
    cuda: null,
  };
}

// The Python whose PyTorch runs on this very libtorch (Debian's python3-torch on its libtorch), or null:
// the tests and benchmarks compare against it.
function pythonOfLibrary(libraryDir) {
  const want = realPath(path.join(libraryDir, 'libtorch_cpu.so'));
  for (const python of ['/usr/bin/python3']) {
    try {
      const out = execFileSync(python, ['-c', 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
      if (want && realPath(out.trim()) === want) return python;
    } catch {
      // no such interpreter, or no torch in it
    }
  }
  return null;
}

const SOURCES = ['LIBTORCH', 'python3', 'system'];

// `systemRoot` lets tests point the system search at another tree.
// TORCHNODE_LIBTORCH_SOURCE=LIBTORCH|python3|system takes only that step (CI builds against each).
export function findLibtorch({ python = process.env.PYTHON || 'python3', systemRoot = '/', env = process.env } = {}) {
  const tried = [];
  const only = env.TORCHNODE_LIBTORCH_SOURCE;
  if (only !== undefined && only !== '') {
    if (!SOURCES.includes(only)) {
      tried.push(`TORCHNODE_LIBTORCH_SOURCE=${only}: expected ${SOURCES.join(', ')}`);
      return { found: null, tried, explicit: true };
    }
    if (only === 'LIBTORCH' && !env.LIBTORCH) {
      tried.push('TORCHNODE_LIBTORCH_SOURCE=LIBTORCH but LIBTORCH is not set');
      return { found: null, tried, explicit: true };
    }
    const found = only === 'LIBTORCH' ? fromLibtorchDir(env.LIBTORCH, tried) : only === 'python3' ? fromPython(python, tried) : fromSystem(tried, systemRoot);
    // an explicit choice that does not work is an error, not a hint to look elsewhere
    return { found, tried, explicit: true };
  }
  if (env.LIBTORCH) {
    const found = fromLibtorchDir(env.LIBTORCH, tried);
    // An explicit LIBTORCH that does not work is an error, not a hint to look elsewhere.
    return { found, tried, explicit: true };
  }
  tried.push('LIBTORCH: not set');
  const found = fromPython(python, tried) ?? fromSystem(tried, systemRoot);
  return { found, tried, explicit: false };
}

export function installHelp() {
  return [
    'Install one of these, then run `npm rebuild torchnode`:',
    '  Debian/Ubuntu:    sudo apt-get install -y libtorch-dev',
    '  PyTorch (pip):    python3 -m pip install torch',
    '  a libtorch zip:   LIBTORCH=/path/to/libtorch npm rebuild torchnode',
    'TORCHNODE_LIBTORCH_SOURCE=LIBTORCH|python3|system takes only that one.',
  ].join('\n');
}
