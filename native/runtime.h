// Process-level controls and facts: threads, seeding, CUDA/cuDNN, build and runtime info.
#pragma once

#include <napi.h>

namespace torchnode {

// The CUDA device index argument `i` names, checked against the devices libtorch sees.
int cudaDeviceArg(const Napi::CallbackInfo& info, size_t i);

Napi::Value SetNumThreads(const Napi::CallbackInfo& info);
Napi::Value GetNumThreads(const Napi::CallbackInfo& info);
Napi::Value ManualSeed(const Napi::CallbackInfo& info);
Napi::Value BuildInfo(const Napi::CallbackInfo& info);
Napi::Value RuntimeInfo(const Napi::CallbackInfo& info);
Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info);
Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info);
Napi::Value CudaSynchronize(const Napi::CallbackInfo& info);
Napi::Value CudaDeviceName(const Napi::CallbackInfo& info);
Napi::Value CudaMemoryStats(const Napi::CallbackInfo& info);
Napi::Value ReleaseHostMemory(const Napi::CallbackInfo& info);
Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info);
Napi::Value CudnnInfo(const Napi::CallbackInfo& info);
Napi::Value MatmulPrecision(const Napi::CallbackInfo& info);
Napi::Value SetCudnnFlags(const Napi::CallbackInfo& info);

}  // namespace torchnode
