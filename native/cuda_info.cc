#include "cuda_info.h"

#ifdef TORCHNODE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif

namespace torchnode {

#ifdef TORCHNODE_CUDA

bool cudaCompiled() { return true; }

std::string cudaDeviceName(int index) { return at::cuda::getDeviceProperties(index)->name; }

CudaMemory cudaMemory(int index) {
  // Until the first CUDA allocation the allocator knows no device (getDeviceStats would throw).
  if (!c10::cuda::CUDACachingAllocator::get()->initialized()) return {0, 0, 0};
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  // index 0 of each stat array is the aggregate over pool kinds
  return {stats.allocated_bytes[0].current, stats.reserved_bytes[0].current,
          stats.allocated_bytes[0].peak};
}

void cudaEmptyCache() { c10::cuda::CUDACachingAllocator::emptyCache(); }

int cudaRuntimeVersion() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return v;
}

#else

bool cudaCompiled() { return false; }
std::string cudaDeviceName(int) { return ""; }
CudaMemory cudaMemory(int) { return {0, 0, 0}; }
void cudaEmptyCache() {}
int cudaRuntimeVersion() { return 0; }

#endif

}  // namespace torchnode
