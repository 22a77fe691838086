// The only module that loads the addon; it declares the addon's whole interface.
import { realpathSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { TorchError } from './errors.js';
import { buildIfMissing } from './load-addon.js';

/** An opaque reference to one libtorch tensor (a number naming a slot in the addon's handle table). */
export type Handle = { readonly __handle: unique symbol };
/** A recorded forward pass (native), replayable off the JS thread. */
export type TraceHandle = { readonly __trace: unique symbol };
/** A c10d process group (native). */
export type GroupHandle = { readonly __group: unique symbol };
/** A CUDA graph, stream or event (native). */
export type CudaGraphHandle = { readonly __cudaGraph: unique symbol };
export type CudaStreamHandle = { readonly __cudaStream: unique symbol };
export type CudaEventHandle = { readonly __cudaEvent: unique symbol };
/** A libtorch random-number generator (native). */
export type GeneratorHandle = { readonly __generator: unique symbol };
/** DistributedDataParallel's gradient reducer (native). */
export type ReducerHandle = { readonly __reducer: unique symbol };

export interface DistInitArgs {
  backend: 'gloo' | 'nccl';
  store: 'tcp' | 'file';
  host: string;
  port: number;
  path: string;
  /** The address Gloo binds to ('' for libtorch's default). */
  deviceHost: string;
  rank: number;
  worldSize: number;
  timeoutMs: number;
}

export interface OpInfo {
  id: number;
  arguments: { name: string; type: string; hasDefault: boolean; supported: boolean }[];
  returns: number;
}

/** An operator's schema read as data: argument and return types as libtorch prints them. */
export interface OpSchemaInfo {
  schema: string;
  arguments: { name: string; type: string; kwargOnly: boolean; hasDefault: boolean; writes: boolean }[];
  /** aliasOf: the argument an in-place or out= result is (-1 for a new value). */
  returns: { name: string; type: string; aliasOf: number }[];
}

export interface BuildRecord {
  source: 'LIBTORCH' | 'python3' | 'system';
  detail: string;
  /** The Python whose PyTorch runs on this libtorch, or null (none found; older build records). */
  python?: string | null;
  version: string;
  libraryDir: string;
  includeDirs: string[];
  cxx11Abi: number;
  cuda: string | null;
  cudnn: number | null;
  node: string;
  builtAt: string;
}

export interface NativeAddon {
  init(torchError: typeof TorchError): void;
  resolveOp(name: string, overload: string): OpInfo;
  call(id: number, ...args: unknown[]): unknown;
  /** Every registered operator's schema, as PyTorch prints it. */
  opSchemas(): string[];
  /** One operator's schema ('aten::add', 'Tensor'), or null when this libtorch lacks it. */
  opSchema(name: string, overload: string): OpSchemaInfo | null;
  generatorNew(device: string): GeneratorHandle;
  generatorDefault(device: string): GeneratorHandle;
  generatorManualSeed(g: GeneratorHandle, seed: bigint): void;
  generatorSeed(g: GeneratorHandle): bigint;
  generatorInitialSeed(g: GeneratorHandle): bigint;
  generatorGetState(g: GeneratorHandle): Handle;
  generatorSetState(g: GeneratorHandle, state: Handle): void;
  generatorDevice(g: GeneratorHandle): string;
  dispose(h: Handle): void;
  fromBuffer(bytes: ArrayBufferView, dtype: number, shape: number[]): Handle;
  toBuffer(h: Handle): ArrayBuffer;
  toBufferAsync(h: Handle): Promise<ArrayBuffer>;
  shape(h: Handle): number[];
  dtype(h: Handle): number;
  device(h: Handle): string;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, value: boolean): void;
  grad(h: Handle): Handle | undefined;
  setGrad(h: Handle, grad: Handle | null): void;
  isLeaf(h: Handle): boolean;
  isContiguous(h: Handle, memoryFormat: number): boolean;
  backward(h: Handle, gradient: Handle | null, retainGraph: boolean | undefined, createGraph: boolean): void;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  memory(): { liveTensors: number; hostBytes: number };
  releaseHostMemory(): boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: bigint): void;
  buildInfo(): { torchVersion: string; libraryDir: string; cuda: boolean; cudaRuntimeVersion: number; cxx11Abi: number };
  runtimeInfo(): { cpuLibrary?: string; config: string; cudaLibraryLoaded: boolean };
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(device: number): void;
  cudaDeviceName(device: number): string;
  cudaMemoryStats(device: number): { allocatedBytes: number; reservedBytes: number; peakAllocatedBytes: number };
  cudaEmptyCache(): void;
  cudnnInfo(): { available: boolean; version: number | null; benchmark: boolean; deterministic: boolean; allowTF32Cudnn: boolean;
    allowTF32Matmul: boolean };
  matmulPrecision(): 'highest' | 'high' | 'medium';
  setBackendFlag(name: 'benchmark' | 'deterministic' | 'allowTF32Cudnn' | 'allowTF32Matmul', value: boolean): void;
  setBackendFlag(name: 'matmulPrecision', value: 'highest' | 'high' | 'medium'): void;
  cudaGraphNew(): CudaGraphHandle;
  cudaGraphCaptureBegin(g: CudaGraphHandle, device: number, pool: readonly [number, number] | null,
    mode: 'global' | 'thread_local' | 'relaxed', stream: CudaStreamHandle | null): void;
  cudaGraphCaptureEnd(g: CudaGraphHandle): void;
  cudaGraphAbort(g: CudaGraphHandle): void;
  cudaGraphReplay(g: CudaGraphHandle): void;
  cudaGraphReset(g: CudaGraphHandle): void;
  cudaGraphPool(g: CudaGraphHandle): [number, number];
  cudaGraphPoolHandle(): [number, number];
  cudaGraphStatus(g: CudaGraphHandle): 'empty' | 'capturing' | 'captured';
  cudaIsCapturing(): boolean;
  cudaStreamNew(device: number, highPriority: boolean): CudaStreamHandle;
  cudaStreamCurrent(device: number): CudaStreamHandle;
  cudaStreamDefault(device: number): CudaStreamHandle;
  /** Makes the stream current on its device; returns the one that was. */
  cudaStreamSet(s: CudaStreamHandle): CudaStreamHandle;
  cudaStreamInfo(s: CudaStreamHandle): { device: number; id: number; priority: number; isDefault: boolean };
  cudaStreamQuery(s: CudaStreamHandle): boolean;
  cudaStreamSynchronize(s: CudaStreamHandle): void;
  cudaStreamWaitStream(s: CudaStreamHandle, other: CudaStreamHandle): void;
  cudaEventNew(enableTiming: boolean, blocking: boolean): CudaEventHandle;
  cudaEventRecord(e: CudaEventHandle, s: CudaStreamHandle): void;
  cudaEventWait(e: CudaEventHandle, s: CudaStreamHandle): void;
  cudaEventQuery(e: CudaEventHandle): boolean;
  cudaEventSynchronize(e: CudaEventHandle): void;
  cudaEventElapsed(e: CudaEventHandle, end: CudaEventHandle): number;
  autocastEnter(device: 'cpu' | 'cuda', enabled: boolean, dtype: number): [boolean, number];
  autocastExit(device: 'cpu' | 'cuda', enabled: boolean, dtype: number): void;
  traceBegin(input: Handle): void;
  traceEnd(output: Handle): TraceHandle;
  traceAbort(): void;
  traceRun(trace: TraceHandle, input: Handle): Promise<Handle>;
  traceInfo(trace: TraceHandle): { steps: number; slots: number; ops: string[] };
  traceOptimize(trace: TraceHandle, options: { foldBatchNorm: boolean; channelsLast: boolean; dtype: 'float32' | 'bfloat16'; inferenceMode: boolean; fuse: boolean }):
    { trace: TraceHandle; foldedBatchNorms: number; fusedConvolutions: number };
  traceRunSync(trace: TraceHandle, input: Handle): Handle;
  traceStamp(trace: TraceHandle): number;
  traceRelease(trace: TraceHandle): void;
  fusedConvolutionsAvailable(): boolean;
  distBackends(): { gloo: boolean; nccl: boolean };
  distInit(args: DistInitArgs): Promise<GroupHandle>;
  distDestroy(group: GroupHandle): void;
  distAllReduce(group: GroupHandle, tensor: Handle, op: 'sum' | 'avg' | 'max' | 'min' | 'product'): Promise<void>;
  distBroadcast(group: GroupHandle, tensor: Handle, src: number): Promise<void>;
  distBroadcastNow(group: GroupHandle, tensor: Handle, src: number): void;
  distAllGather(group: GroupHandle, tensor: Handle): Promise<Handle[]>;
  distBarrier(group: GroupHandle): Promise<void>;
  ddpReducer(group: GroupHandle, params: Handle[], buckets: number[][], overlap: boolean): ReducerHandle;
  ddpSetEnabled(reducer: ReducerHandle, enabled: boolean): void;
  /** Resolves with how many buckets started during backward. */
  ddpFinish(reducer: ReducerHandle): Promise<number>;
  ddpRelease(reducer: ReducerHandle): void;
}

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = path.join(packageRoot, 'build', 'Release');
const require = createRequire(import.meta.url);

function readBuildRecord(): BuildRecord {
  buildIfMissing(packageRoot);
  const file = path.join(addonDir, 'torchnode-build.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BuildRecord;
  } catch {
    throw new TorchError(`torchnode's build record ${file} is missing or unreadable: rebuild with \`npm rebuild torchnode\``);
  }
}

function load(record: BuildRecord): NativeAddon {
  try {
    const bindings = require('bindings') as (opts: { bindings: string; module_root: string }) => NativeAddon;
    return bindings({ bindings: 'torchnode.node', module_root: packageRoot });
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new TorchError(`torchnode's addon failed to load (built against libtorch ${record.version} in ` +
      `${record.libraryDir}): ${reason}. Rebuild it with \`npm rebuild torchnode\``);
  }
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

// The addon must run against the very libtorch it was compiled against.
function checkSameLibtorch(addon: NativeAddon, record: BuildRecord): void {
  const runtime = addon.runtimeInfo();
  const expected = realOrSelf(path.join(record.libraryDir, 'libtorch_cpu.so'));
  const loaded = runtime.cpuLibrary ? realOrSelf(runtime.cpuLibrary) : expected;
  const header = addon.buildInfo().torchVersion;
  const running = runtime.config.match(/TORCH_VERSION=([0-9.]+)/)?.[1] ?? header;
  if (loaded !== expected || running !== header) {
    throw new TorchError(`torchnode was built against libtorch ${record.version} (${expected}) but loaded ` +
      `libtorch ${running} (${loaded}): rebuild with \`npm rebuild torchnode\` or make the original libtorch ` +
      'the one found first (LD_LIBRARY_PATH)');
  }
}

export const buildRecord: BuildRecord = readBuildRecord();
export const native: NativeAddon = load(buildRecord);
native.init(TorchError);
checkSameLibtorch(native, buildRecord);

// libtorch may start with fewer threads than cores; PyTorch users expect all of them.
if (!process.env.OMP_NUM_THREADS) native.setNumThreads(availableParallelism());
