// torch.cuda and torch.backends: device queries and the cuDNN/TF32 switches.
import { checkDevice } from './device.js';
import { describe } from './errors.js';
import { native } from './native.js';

function deviceIndex(device: number | string | undefined): number {
  if (device === undefined) {
    checkDevice('cuda');
    return 0;
  }
  if (typeof device === 'number') {
    if (!Number.isInteger(device) || device < 0) throw new TypeError(`Expected a CUDA device index for device but received ${describe(device)}`);
    checkDevice(`cuda:${device}`);
    return device;
  }
  const d = checkDevice(device);
  if (!d.startsWith('cuda')) throw new TypeError(`Expected a CUDA device for device but received ${describe(device)}`);
  return d === 'cuda' ? 0 : Number(d.slice(5));
}

/** torch.cuda */
export const cuda = {
  /** Whether a CUDA device can be used. @example if (torch.cuda.isAvailable()) x = x.cuda(); */
  isAvailable: (): boolean => native.cudaIsAvailable(),
  deviceCount: (): number => native.cudaDeviceCount(),
  /** Waits for all queued work on a device. */
  synchronize: (device?: number | string): void => native.cudaSynchronize(deviceIndex(device)),
  getDeviceName: (device?: number | string): string => native.cudaDeviceName(deviceIndex(device)),
  memoryAllocated: (device?: number | string): number => native.cudaMemoryStats(deviceIndex(device)).allocatedBytes,
  memoryReserved: (device?: number | string): number => native.cudaMemoryStats(deviceIndex(device)).reservedBytes,
  maxMemoryAllocated: (device?: number | string): number => native.cudaMemoryStats(deviceIndex(device)).peakAllocatedBytes,
  /** Returns cached, unused blocks to the driver. */
  emptyCache: (): void => native.cudaEmptyCache(),
};

function boolSetter(name: string, flag: Parameters<typeof native.setBackendFlag>[0]): (v: boolean) => void {
  return (v: boolean) => {
    if (typeof v !== 'boolean') throw new TypeError(`Expected a boolean for ${name} but received ${describe(v)}`);
    native.setBackendFlag(flag, v);
  };
}

// The TF32 flags are written, never read: libtorch 2.9+ warns on their getters. These are its defaults.
let tf32Cudnn = true;
let tf32Matmul = false;
const setTf32Cudnn = boolSetter('torch.backends.cudnn.allowTF32', 'allowTF32Cudnn');
const setTf32Matmul = boolSetter('torch.backends.cuda.matmul.allowTF32', 'allowTF32Matmul');
const setBenchmark = boolSetter('torch.backends.cudnn.benchmark', 'benchmark');
const setDeterministic = boolSetter('torch.backends.cudnn.deterministic', 'deterministic');

/** torch.backends: `cudnn.benchmark = true` picks the fastest convolution algorithms. */
export const backends = {
  cudnn: {
    isAvailable: (): boolean => native.cudnnInfo().available,
    /** cuDNN's version as an integer (e.g. 91000), or null without cuDNN. */
    version: (): number | null => native.cudnnInfo().version,
    get benchmark(): boolean { return native.cudnnInfo().benchmark; },
    set benchmark(v: boolean) { setBenchmark(v); },
    get deterministic(): boolean { return native.cudnnInfo().deterministic; },
    set deterministic(v: boolean) { setDeterministic(v); },
    get allowTF32(): boolean { return tf32Cudnn; },
    set allowTF32(v: boolean) { setTf32Cudnn(v); tf32Cudnn = v; },
  },
  cuda: {
    matmul: {
      get allowTF32(): boolean { return tf32Matmul; },
      set allowTF32(v: boolean) { setTf32Matmul(v); tf32Matmul = v; },
    },
  },
};
