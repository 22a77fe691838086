// What the Node side runs on: libtorch build, threads, CUDA/cuDNN, CPU.
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { setup } from './common.mjs';

const torch = setup();
const cudaAvailable = torch.cuda.isAvailable();
const b = torch.buildInfo;
process.stdout.write(`${JSON.stringify({
  libtorch: b.version,
  found: `${b.source}: ${b.detail}`,
  library: realpathSync(path.join(b.libraryDir, 'libtorch_cpu.so')),
  node: process.version,
  threads: torch.getNumThreads(),
  cores: os.availableParallelism(),
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  cuda: b.cuda,
  cudaAvailable,
  gpu: cudaAvailable ? torch.cuda.getDeviceName(0) : null,
  cudnn: torch.backends.cudnn.isAvailable() ? torch.backends.cudnn.version() : null,
  whyNoCuda: cudaAvailable ? null : b.cuda ? `libtorch ${b.version} has CUDA ${b.cuda} but sees no device` : `libtorch ${b.version} was built without CUDA`,
})}\n`);
