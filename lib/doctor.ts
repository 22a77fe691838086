// `torchnode doctor`: what the addon was built against and what this machine offers now. It
// loads the addon itself, late, so that it can say why the addon does not load.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

import { addonFiles, BUILD_HINT, isBuilt } from './load-addon.js';
import type { BuildRecord } from './native.js';

/** What doctor can say when the addon does not load: the build record (if any) and the reason. */
export interface DoctorFailure {
  torchnode: string;
  built: BuildRecord | null;
  error: string;
  /** What to do about it. */
  hint: string;
}

export interface DoctorReport {
  torchnode: string;
  built: BuildRecord;
  loaded: { library: string | null; torchVersion: string | null; cudaLibraryLoaded: boolean };
  threads: number;
  cores: number;
  cuda: { available: boolean; compiled: boolean; runtimeVersion: string | null; devices: { index: number; name: string }[] };
  cudnn: { available: boolean; version: string | null };
  /** The torch.distributed backends this build can create. */
  distributed: { gloo: boolean; nccl: boolean };
}

/** cuDNN's integer version as text: 8907 -> 8.9.7, 91000 -> 9.10.0. */
export function cudnnVersionText(v: number | null): string | null {
  if (v === null) return null;
  if (v >= 90000) return `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}`;
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`;
}

function cudaRuntimeText(v: number): string | null {
  return v ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : null;
}

function readRecord(root: string): BuildRecord | null {
  try {
    return JSON.parse(readFileSync(addonFiles(root).record, 'utf8')) as BuildRecord;
  } catch {
    return null;
  }
}

/**
 * The report, or why the addon cannot be loaded: not built, a libtorch that is gone, or the
 * loader's own error (an unresolved symbol, a missing libc10.so...).
 */
export async function doctorReport(version: string, root: string): Promise<DoctorReport | DoctorFailure> {
  const built = readRecord(root);
  if (!isBuilt(root)) {
    return { torchnode: version, built, error: `the native addon is not built (${addonFiles(root).addon} or its build record is missing)`, hint: `build it with ${BUILD_HINT}` };
  }
  if (built && !existsSync(path.join(built.libraryDir, 'libtorch_cpu.so'))) {
    return { torchnode: version, built, error: `the libtorch it was built against (${built.version} in ${built.libraryDir}) is gone`,
      hint: `reinstall that libtorch, or rebuild against another with ${BUILD_HINT}` };
  }
  try {
    return await loadedReport(version);
  } catch (e) {
    return { torchnode: version, built, error: (e as Error).message, hint: `rebuild it with ${BUILD_HINT}` };
  }
}

async function loadedReport(version: string): Promise<DoctorReport> {
  const { buildRecord, native } = await import('./native.js');
  const { backends, cuda } = await import('./cuda.js');
  const runtime = native.runtimeInfo();
  const build = native.buildInfo();
  const available = cuda.isAvailable();
  const devices = available
    ? Array.from({ length: cuda.deviceCount() }, (_, index) => ({ index, name: build.cuda ? cuda.getDeviceName(index) : 'unknown' }))
    : [];
  return {
    torchnode: version,
    built: buildRecord,
    loaded: {
      library: runtime.cpuLibrary ?? null,
      torchVersion: runtime.config.match(/TORCH_VERSION=([0-9.]+)/)?.[1] ?? null,
      cudaLibraryLoaded: runtime.cudaLibraryLoaded,
    },
    threads: native.getNumThreads(),
    cores: availableParallelism(),
    cuda: { available, compiled: build.cuda, runtimeVersion: cudaRuntimeText(build.cudaRuntimeVersion), devices },
    cudnn: { available: backends.cudnn.isAvailable(), version: cudnnVersionText(backends.cudnn.version()) },
    distributed: native.distBackends(),
  };
}

export const isDoctorFailure = (r: DoctorReport | DoctorFailure): r is DoctorFailure => 'error' in r;

export function formatDoctor(r: DoctorReport | DoctorFailure): string {
  if (isDoctorFailure(r)) {
    const b = r.built;
    return [`torchnode ${r.torchnode}`,
      b ? `libtorch:  ${b.version} (found via ${b.source}: ${b.detail})` : 'libtorch:  unknown (no build record)',
      `addon:     does not load: ${r.error}`,
      `fix:       ${r.hint}`].join('\n');
  }
  const b = r.built;
  const lines = [
    `torchnode ${r.torchnode}`,
    `libtorch:  ${b.version} (found via ${b.source}: ${b.detail})`,
    `  built:   ${b.libraryDir}, C++11 ABI ${b.cxx11Abi}, ${b.builtAt} with node ${b.node}`,
    `  loaded:  ${r.loaded.library ?? 'unknown'} (TORCH_VERSION ${r.loaded.torchVersion ?? 'unknown'})`,
    `threads:   ${r.threads} (${r.cores} cores)`,
  ];
  const noDevice = !r.cuda.available && (b.cuda !== null || r.cuda.compiled);
  if (r.cuda.available) {
    lines.push(`CUDA:      available, runtime ${r.cuda.runtimeVersion ?? 'unknown'}, ${r.cuda.devices.length} device(s)`);
    for (const d of r.cuda.devices) lines.push(`  cuda:${d.index}  ${d.name}`);
  } else if (noDevice) {
    lines.push(`CUDA:      not available: CUDA ${b.cuda ?? r.cuda.runtimeVersion ?? ''} build, no device visible`);
  } else {
    lines.push('CUDA:      not available (this libtorch has no CUDA)');
  }
  lines.push(`cuDNN:     ${r.cudnn.available ? `${r.cudnn.version}${noDevice ? ' (in the build; no device visible)' : ''}` : 'not available'}`);
  const d = r.distributed;
  // what torchnode's own GPU runs have not covered yet: say it where users look (docs/gpu.md)
  const nccl = d.nccl ? `yes (${noDevice ? 'needs a CUDA device; ' : ''}not yet run across GPUs by torchnode's tests)` : 'no (this libtorch has no NCCL)';
  lines.push(`distributed: gloo ${d.gloo ? 'yes' : 'no (built without gloo headers)'}, nccl ${nccl}`);
  return lines.join('\n');
}
