// torch.cuda's names: device queries and memory figures here; streams, events and graphs beside.
import { cudaDeviceIndex as deviceIndex } from './device.js';
import { native } from './native.js';

export { CUDAGraph, graph, graphPoolHandle, isCurrentStreamCapturing, type CaptureOptions, type GraphPool } from './cuda-graph.js';
export { currentStream, defaultStream, Event, stream, Stream } from './cuda-streams.js';

/** Whether a CUDA device can be used. @example if (torch.cuda.isAvailable()) x = x.cuda(); */
export const isAvailable = (): boolean => native.cudaIsAvailable();
export const deviceCount = (): number => native.cudaDeviceCount();

/** Waits for all queued work on a device (refused while capturing a graph). @example torch.cuda.synchronize(); */
export const synchronize = (device?: number | string): void => native.cudaSynchronize(deviceIndex(device));

export const getDeviceName = (device?: number | string): string => native.cudaDeviceName(deviceIndex(device));
export const memoryAllocated = (device?: number | string): number => native.cudaMemoryStats(deviceIndex(device)).allocatedBytes;
export const memoryReserved = (device?: number | string): number => native.cudaMemoryStats(deviceIndex(device)).reservedBytes;
export const maxMemoryAllocated = (device?: number | string): number => native.cudaMemoryStats(deviceIndex(device)).peakAllocatedBytes;

/** Returns cached, unused blocks to the driver. @example torch.cuda.emptyCache(); */
export const emptyCache = (): void => native.cudaEmptyCache();
