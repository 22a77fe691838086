export { initProcessGroup, destroyProcessGroup, newGroup, isInitialized, defaultProcessGroup, getRank, getWorldSize,
  allReduce, broadcast, allGather, barrier, availableBackends, ProcessGroup, DEFAULT_TIMEOUT_MS,
  type InitOptions, type Backend, type ReduceOp } from './process-group.js';
export { DistributedDataParallel, bucketAssignment, type DdpOptions } from './ddp.js';
export { DistributedSampler, type SamplerOptions } from './sampler.js';
export { launch, type LaunchOptions } from './launch.js';
