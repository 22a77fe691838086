// torch.cuda (cuda-api.ts) and torch.backends: the cuDNN/TF32 switches.
import { describe } from './errors.js';
import { native } from './native.js';

/** torch.cuda: devices, memory, streams, events and graphs. */
export * as cuda from './cuda-api.js';

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
