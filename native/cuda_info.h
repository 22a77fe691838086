// CUDA facts that need the CUDA toolkit headers; without TORCHNODE_CUDA they report nothing.
#pragma once

#include <cstdint>
#include <string>

namespace torchnode {

struct CudaMemory {
  int64_t allocated, reserved, peakAllocated;
};

bool cudaCompiled();
std::string cudaDeviceName(int index);
CudaMemory cudaMemory(int index);
void cudaEmptyCache();
int cudaRuntimeVersion();  // 0 when not compiled with CUDA

}  // namespace torchnode
