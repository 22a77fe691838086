// CUDA graphs, streams and events (at::cuda::CUDAGraph, c10::cuda::CUDAStream, CUDAEvent).
// Without a CUDA build every entry point throws a TorchError that says so.
#pragma once

#include <ATen/core/stack.h>
#include <napi.h>

#include <string>

namespace torchnode {

struct OpEntry;

// While this environment captures a graph: refuses what a graph cannot capture (a CPU tensor,
// a read back to the host), naming the operator and argument. `outputs` checks results.
void checkCapturable(Napi::Env env, const OpEntry& op, const torch::jit::Stack& stack, bool outputs);
// While this environment captures a graph: refuses `what` (a JS name), which waits for the device.
void refuseWhileCapturing(Napi::Env env, const char* what);
// While this environment captures a graph: refuses reading a CUDA tensor back to the host.
void refuseRead(Napi::Env env);

// graphs: cudaGraphNew() -> graph; captureBegin(graph, device, [poolA, poolB] | null, mode, stream | null)
Napi::Value CudaGraphNew(const Napi::CallbackInfo& info);
Napi::Value CudaGraphCaptureBegin(const Napi::CallbackInfo& info);
Napi::Value CudaGraphCaptureEnd(const Napi::CallbackInfo& info);
Napi::Value CudaGraphAbort(const Napi::CallbackInfo& info);
Napi::Value CudaGraphReplay(const Napi::CallbackInfo& info);
Napi::Value CudaGraphReset(const Napi::CallbackInfo& info);
Napi::Value CudaGraphPool(const Napi::CallbackInfo& info);
Napi::Value CudaGraphPoolHandle(const Napi::CallbackInfo& info);
// cudaGraphStatus(graph) -> 'empty' | 'capturing' | 'captured'
Napi::Value CudaGraphStatus(const Napi::CallbackInfo& info);
Napi::Value CudaIsCapturing(const Napi::CallbackInfo& info);
// streams: cudaStreamNew(device, highPriority), cudaStreamCurrent(device), cudaStreamDefault(device)
Napi::Value CudaStreamNew(const Napi::CallbackInfo& info);
Napi::Value CudaStreamCurrent(const Napi::CallbackInfo& info);
Napi::Value CudaStreamDefault(const Napi::CallbackInfo& info);
Napi::Value CudaStreamSet(const Napi::CallbackInfo& info);
Napi::Value CudaStreamInfo(const Napi::CallbackInfo& info);
Napi::Value CudaStreamQuery(const Napi::CallbackInfo& info);
Napi::Value CudaStreamSynchronize(const Napi::CallbackInfo& info);
Napi::Value CudaStreamWaitStream(const Napi::CallbackInfo& info);
// events: cudaEventNew(enableTiming, blocking)
Napi::Value CudaEventNew(const Napi::CallbackInfo& info);
Napi::Value CudaEventRecord(const Napi::CallbackInfo& info);
Napi::Value CudaEventWait(const Napi::CallbackInfo& info);
Napi::Value CudaEventQuery(const Napi::CallbackInfo& info);
Napi::Value CudaEventSynchronize(const Napi::CallbackInfo& info);
Napi::Value CudaEventElapsed(const Napi::CallbackInfo& info);

}  // namespace torchnode
