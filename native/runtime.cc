#include "runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <string>

#ifdef __GLIBC__
#include <malloc.h>  // malloc_trim
#endif

#include "compat.h"
#include "cuda_graph.h"
#include "cuda_info.h"
#include "errors.h"

#ifndef TORCHNODE_LIBTORCH_LIBDIR
#define TORCHNODE_LIBTORCH_LIBDIR ""
#endif

namespace torchnode {

int cudaDeviceArg(const Napi::CallbackInfo& info, size_t i) {
  int64_t count = compat::cudaDeviceCount();
  int64_t index = info[i].As<Napi::Number>().Int64Value();
  if (index < 0 || index >= count) {
    throw torchError(info.Env(), "CUDA device " + std::to_string(index) + " requested but " +
                                     std::to_string(count) + " device(s) are available");
  }
  return static_cast<int>(index);
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// manualSeed(seed: bigint) seeds the CPU and every CUDA generator.
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  bool lossless = false;
  uint64_t seed = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  at::manual_seed(seed);
  return info.Env().Undefined();
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out["torchVersion"] = std::to_string(TORCH_VERSION_MAJOR) + "." +
                        std::to_string(TORCH_VERSION_MINOR) + "." +
                        std::to_string(TORCH_VERSION_PATCH);
  out["libraryDir"] = TORCHNODE_LIBTORCH_LIBDIR;
  out["cuda"] = cudaCompiled();
  out["cudaRuntimeVersion"] = cudaRuntimeVersion();
  out["cxx11Abi"] = _GLIBCXX_USE_CXX11_ABI;
  return out;
}

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  Dl_info where{};
  // The file that provides libtorch's own symbols is the libtorch actually loaded.
  if (dladdr(reinterpret_cast<void*>(&at::show_config), &where) && where.dli_fname) {
    out["cpuLibrary"] = where.dli_fname;
  }
  out["config"] = at::show_config();
  void* cudaLib = dlopen("libtorch_cuda.so", RTLD_LAZY | RTLD_NOLOAD);
  out["cudaLibraryLoaded"] = cudaLib != nullptr;
  if (cudaLib) dlclose(cudaLib);
  return out;
}

Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(compat::cudaDeviceCount()));
}

Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  refuseWhileCapturing(info.Env(), "torch.cuda.synchronize()");
  torch::cuda::synchronize(cudaDeviceArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value CudaDeviceName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cudaDeviceName(cudaDeviceArg(info, 0)));
}

Napi::Value CudaMemoryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CudaMemory m = cudaMemory(cudaDeviceArg(info, 0));
  Napi::Object out = Napi::Object::New(env);
  out["allocatedBytes"] = static_cast<double>(m.allocated);
  out["reservedBytes"] = static_cast<double>(m.reserved);
  out["peakAllocatedBytes"] = static_cast<double>(m.peakAllocated);
  return out;
}

Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
  cudaEmptyCache();
  return info.Env().Undefined();
}

// libtorch 1.13: allowTF32CuDNN(); 2.x: allowTF32CuDNN(optional<Float32Op>), which without an op
// refuses to answer once the matmul precision was set both ways; PyTorch's getter asks for CONV.
template <typename R, typename C>
bool cudnnTF32(R (C::*get)() const, const C& ctx) {
  return (ctx.*get)();
}
template <typename R, typename C, typename Op>
bool cudnnTF32(R (C::*get)(Op) const, const C& ctx) {
  return (ctx.*get)(Op::value_type::CONV);
}

Napi::Value CudnnInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& ctx = at::globalContext();
  Napi::Object out = Napi::Object::New(env);
  bool has = ctx.hasCuDNN();
  out["available"] = has;
  // versionCuDNN() throws on builds without cuDNN.
  out["version"] = has ? Napi::Value(Napi::Number::New(env, ctx.versionCuDNN())) : env.Null();
  out["benchmark"] = ctx.benchmarkCuDNN();
  out["deterministic"] = ctx.deterministicCuDNN();
  // read from libtorch, so a change made elsewhere (setFloat32MatmulPrecision) shows
  out["allowTF32Cudnn"] = cudnnTF32(&at::Context::allowTF32CuDNN, ctx);
  out["allowTF32Matmul"] = ctx.allowTF32CuBLAS();
  return out;
}

// A call of its own: 2.x refuses to answer (as PyTorch's getter does) once TF32 was set both ways.
Napi::Value MatmulPrecision(const Napi::CallbackInfo& info) {
  switch (at::globalContext().float32MatmulPrecision()) {
    case at::Float32MatmulPrecision::HIGHEST: return Napi::String::New(info.Env(), "highest");
    case at::Float32MatmulPrecision::HIGH: return Napi::String::New(info.Env(), "high");
    default: return Napi::String::New(info.Env(), "medium");
  }
}

// setBackendFlag(name, value): a boolean flag, or the matmul precision by name (checked in TS).
Napi::Value SetCudnnFlags(const Napi::CallbackInfo& info) {
  auto& ctx = at::globalContext();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name == "matmulPrecision") {
    ctx.setFloat32MatmulPrecision(info[1].As<Napi::String>().Utf8Value());
    return info.Env().Undefined();
  }
  bool value = info[1].As<Napi::Boolean>().Value();
  if (name == "benchmark") ctx.setBenchmarkCuDNN(value);
  else if (name == "deterministic") ctx.setDeterministicCuDNN(value);
  else if (name == "allowTF32Cudnn") ctx.setAllowTF32CuDNN(value);
  else if (name == "allowTF32Matmul") ctx.setAllowTF32CuBLAS(value);
  else throwTypeError(info.Env(), "unknown backend flag '" + name + "'");
  return info.Env().Undefined();
}

// releaseHostMemory() -> whether any was released: glibc keeps freed blocks in per-thread arenas
// (each libuv worker has its own) and returns them to the system only when asked.
Napi::Value ReleaseHostMemory(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace torchnode
