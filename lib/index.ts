/**
 * torchnode: libtorch tensors, autograd, CUDA and cuDNN for Node.js.
 *
 * @example
 * import * as torch from 'torchnode';
 * const x = torch.randn([8, 3, 32, 32]);
 * const w = torch.randn([16, 3, 3, 3], { requiresGrad: true });
 * const loss = torch.nn.functional.conv2d(x, w, { padding: 1 }).relu().mean();
 * loss.backward();
 */
import './tensor-ops.js';
import './generated/methods.js';

export { Tensor, type NestedArray, type ToOptions } from './tensor.js';
export type { Scalar } from './tensor-ops.js';
export { TorchError } from './errors.js';
export { InferenceModel, type OptimizeForInferenceOptions } from './inference-optimized.js';
export { CheckpointError } from './errors.js';
export { DTYPES, type DType, type TypedArrayOf } from './dtype.js';
export type { Device } from './device.js';
export type { CreationOptions, MemoryFormat } from './options.js';
export { tensor, zeros, ones, full, empty, arange, rand, randn, randint, randperm, zerosLike, onesLike,
  type TensorData, type TensorOptions, type RandomOptions } from './creation.js';
export { Generator, defaultGenerator, type GeneratorOptions } from './generator.js';
export { ops, type OpNamespace, type OpPacket, type OpOverload, type OpResult } from './ops/public.js';
export * from './functions.js';
export * from './generated/functions.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd.js';
export { autocast, type AutocastOptions } from './autocast.js';
export { tidy, keep } from './scope.js';
export { manualSeed, setNumThreads, getNumThreads, memory, releaseHostMemory, type MemoryInfo } from './runtime.js';
export { cuda, backends, setFloat32MatmulPrecision, getFloat32MatmulPrecision, type MatmulPrecision } from './cuda.js';
export { buildRecord as buildInfo } from './native.js';
export { save, load, loadMetadata, type SaveOptions, type LoadOptions } from './io/safetensors.js';

/** torch.nn: modules and layers; `torch.nn.functional` holds the layer operations. */
export * as nn from './nn/index.js';
export * as functional from './functional.js';
/** torchnode.models: ResNet builders (torchvision's and the CIFAR family). */
export * as models from './models/index.js';
/** torch.optim: SGD, AdamW, schedules, EMA, GradScaler. */
export * as optim from './optim/index.js';
/** torchnode.data: CIFAR-10 and the on-device image pipeline. */
export * as data from './data/index.js';
/** The training loop; `Trainer` also at the top level. */
export * as train from './train/index.js';
export { Trainer } from './train/trainer.js';
/** torch.distributed: process groups over c10d (Gloo, NCCL), DistributedDataParallel, DistributedSampler. */
export * as distributed from './distributed/index.js';
