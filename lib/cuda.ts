// torch.cuda (cuda-api.ts) and torch.backends: the cuDNN/TF32 switches.
import { describe } from './errors.js';
import { native } from './native.js';

/** torch.cuda: devices, memory, streams, events and graphs. */
export * as cuda from './cuda-api.js';

function boolSetter(name: string, flag: 'benchmark' | 'deterministic' | 'allowTF32Cudnn' | 'allowTF32Matmul'): (v: boolean) => void {
  return (v: boolean) => {
    if (typeof v !== 'boolean') throw new TypeError(`Expected a boolean for ${name} but received ${describe(v)}`);
    native.setBackendFlag(flag, v);
  };
}

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
    get allowTF32(): boolean { return native.cudnnInfo().allowTF32Cudnn; },
    set allowTF32(v: boolean) { setTf32Cudnn(v); },
  },
  cuda: {
    matmul: {
      get allowTF32(): boolean { return native.cudnnInfo().allowTF32Matmul; },
      set allowTF32(v: boolean) { setTf32Matmul(v); },
    },
  },
};

const PRECISIONS = ['highest', 'high', 'medium'] as const;
export type MatmulPrecision = (typeof PRECISIONS)[number];

/**
 * PyTorch's torch.set_float32_matmul_precision: 'highest' (float32), 'high' (TF32 allowed) or 'medium'.
 * @example torch.setFloat32MatmulPrecision('high'); // torch.backends.cuda.matmul.allowTF32 is now true
 */
export function setFloat32MatmulPrecision(precision: MatmulPrecision): void {
  if (!(PRECISIONS as readonly unknown[]).includes(precision)) {
    throw new TypeError(`Expected 'highest', 'high' or 'medium' for precision but received ${describe(precision)}`);
  }
  native.setBackendFlag('matmulPrecision', precision);
}

/** The float32 matmul precision libtorch holds now. @example torch.getFloat32MatmulPrecision() // 'highest' */
export const getFloat32MatmulPrecision = (): MatmulPrecision => native.matmulPrecision();
