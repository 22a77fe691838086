// Registers the native entry points; every one runs behind the error guard.
#include <napi.h>

#include "autocast.h"
#include "cuda_graph.h"
#include "dispatch.h"
#include "distributed_api.h"
#include "errors.h"
#include "generator.h"
#include "handle.h"
#include "ops_list.h"
#include "runtime.h"
#include "state.h"
#include "tensor.h"
#include "trace.h"

namespace torchnode {

namespace {

// init(TorchError): the class errors from libtorch are thrown as.
Napi::Value Init(const Napi::CallbackInfo& info) {
  stateOf(info.Env()).torchError = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
void add(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New(env, Guard<Fn>, name));
}

}  // namespace

Napi::Object RegisterAll(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonState());
  // Handles JS never disposed die with their environment (a worker thread exiting).
  env.AddCleanupHook([env]() { freeAllHandles(env); });

  add<Init>(env, exports, "init");
  add<ResolveOp>(env, exports, "resolveOp");
  add<CallOp>(env, exports, "call");
  add<OpSchemas>(env, exports, "opSchemas");
  add<OpSchema>(env, exports, "opSchema");
  add<GeneratorNew>(env, exports, "generatorNew");
  add<GeneratorDefault>(env, exports, "generatorDefault");
  add<GeneratorManualSeed>(env, exports, "generatorManualSeed");
  add<GeneratorSeed>(env, exports, "generatorSeed");
  add<GeneratorInitialSeed>(env, exports, "generatorInitialSeed");
  add<GeneratorGetState>(env, exports, "generatorGetState");
  add<GeneratorSetState>(env, exports, "generatorSetState");
  add<GeneratorDevice>(env, exports, "generatorDevice");
  add<Dispose>(env, exports, "dispose");
  add<FromBuffer>(env, exports, "fromBuffer");
  add<ToBuffer>(env, exports, "toBuffer");
  add<ToBufferAsync>(env, exports, "toBufferAsync");
  add<Shape>(env, exports, "shape");
  add<Dtype>(env, exports, "dtype");
  add<DeviceOf>(env, exports, "device");
  add<RequiresGrad>(env, exports, "requiresGrad");
  add<SetRequiresGrad>(env, exports, "setRequiresGrad");
  add<Grad>(env, exports, "grad");
  add<SetGrad>(env, exports, "setGrad");
  add<IsLeaf>(env, exports, "isLeaf");
  add<IsContiguous>(env, exports, "isContiguous");
  add<Backward>(env, exports, "backward");
  add<SetGradEnabled>(env, exports, "setGradEnabled");
  add<IsGradEnabled>(env, exports, "isGradEnabled");
  add<Memory>(env, exports, "memory");
  add<ReleaseHostMemory>(env, exports, "releaseHostMemory");
  add<SetNumThreads>(env, exports, "setNumThreads");
  add<GetNumThreads>(env, exports, "getNumThreads");
  add<ManualSeed>(env, exports, "manualSeed");
  add<BuildInfo>(env, exports, "buildInfo");
  add<RuntimeInfo>(env, exports, "runtimeInfo");
  add<CudaIsAvailable>(env, exports, "cudaIsAvailable");
  add<CudaDeviceCount>(env, exports, "cudaDeviceCount");
  add<CudaSynchronize>(env, exports, "cudaSynchronize");
  add<CudaDeviceName>(env, exports, "cudaDeviceName");
  add<CudaMemoryStats>(env, exports, "cudaMemoryStats");
  add<CudaEmptyCache>(env, exports, "cudaEmptyCache");
  add<CudnnInfo>(env, exports, "cudnnInfo");
  add<MatmulPrecision>(env, exports, "matmulPrecision");
  add<SetCudnnFlags>(env, exports, "setBackendFlag");
  add<CudaGraphNew>(env, exports, "cudaGraphNew");
  add<CudaGraphCaptureBegin>(env, exports, "cudaGraphCaptureBegin");
  add<CudaGraphCaptureEnd>(env, exports, "cudaGraphCaptureEnd");
  add<CudaGraphAbort>(env, exports, "cudaGraphAbort");
  add<CudaGraphReplay>(env, exports, "cudaGraphReplay");
  add<CudaGraphReset>(env, exports, "cudaGraphReset");
  add<CudaGraphPool>(env, exports, "cudaGraphPool");
  add<CudaGraphPoolHandle>(env, exports, "cudaGraphPoolHandle");
  add<CudaGraphStatus>(env, exports, "cudaGraphStatus");
  add<CudaIsCapturing>(env, exports, "cudaIsCapturing");
  add<CudaStreamNew>(env, exports, "cudaStreamNew");
  add<CudaStreamCurrent>(env, exports, "cudaStreamCurrent");
  add<CudaStreamDefault>(env, exports, "cudaStreamDefault");
  add<CudaStreamSet>(env, exports, "cudaStreamSet");
  add<CudaStreamInfo>(env, exports, "cudaStreamInfo");
  add<CudaStreamQuery>(env, exports, "cudaStreamQuery");
  add<CudaStreamSynchronize>(env, exports, "cudaStreamSynchronize");
  add<CudaStreamWaitStream>(env, exports, "cudaStreamWaitStream");
  add<CudaEventNew>(env, exports, "cudaEventNew");
  add<CudaEventRecord>(env, exports, "cudaEventRecord");
  add<CudaEventWait>(env, exports, "cudaEventWait");
  add<CudaEventQuery>(env, exports, "cudaEventQuery");
  add<CudaEventSynchronize>(env, exports, "cudaEventSynchronize");
  add<CudaEventElapsed>(env, exports, "cudaEventElapsed");
  add<AutocastEnter>(env, exports, "autocastEnter");
  add<AutocastExit>(env, exports, "autocastExit");
  add<TraceBegin>(env, exports, "traceBegin");
  add<TraceEnd>(env, exports, "traceEnd");
  add<TraceAbort>(env, exports, "traceAbort");
  add<TraceRun>(env, exports, "traceRun");
  add<TraceInfo>(env, exports, "traceInfo");
  add<TraceOptimize>(env, exports, "traceOptimize");
  add<TraceRunSync>(env, exports, "traceRunSync");
  add<TraceStamp>(env, exports, "traceStamp");
  add<TraceRelease>(env, exports, "traceRelease");
  add<FusedConvolutionsAvailable>(env, exports, "fusedConvolutionsAvailable");
  add<DistBackends>(env, exports, "distBackends");
  add<DistInit>(env, exports, "distInit");
  add<DistDestroy>(env, exports, "distDestroy");
  add<DistAllReduce>(env, exports, "distAllReduce");
  add<DistBroadcast>(env, exports, "distBroadcast");
  add<DistBroadcastNow>(env, exports, "distBroadcastNow");
  add<DistAllGather>(env, exports, "distAllGather");
  add<DistBarrier>(env, exports, "distBarrier");
  add<DdpReducer>(env, exports, "ddpReducer");
  add<DdpSetEnabled>(env, exports, "ddpSetEnabled");
  add<DdpFinish>(env, exports, "ddpFinish");
  add<DdpRelease>(env, exports, "ddpRelease");
  return exports;
}

}  // namespace torchnode

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return torchnode::RegisterAll(env, exports);
}

NODE_API_MODULE(torchnode, InitModule)
