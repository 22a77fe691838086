#include "cuda_graph.h"

#include <ATen/core/Tensor.h>
#include <torch/version.h>

#include <string>

#include "dispatch.h"
#include "errors.h"
#include "runtime.h"
#include "state.h"

#ifdef TORCHNODE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGraphsC10Utils.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include <map>
#include <memory>
#include <optional>
#endif

namespace torchnode {

namespace {

const char* deviceWord(const at::Tensor& t) { return t.is_cuda() ? "CUDA" : t.device().is_cpu() ? "CPU" : "non-CUDA"; }

// A tensor a graph cannot use: defined and not on a CUDA device.
bool offDevice(const c10::IValue& v) {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    return t.defined() && !t.is_cuda();
  }
  return false;
}

}  // namespace

void refuseWhileCapturing(Napi::Env env, const char* what) {
  if (stateOf(env).capturing) {
    throw torchError(env, std::string("CUDA graph capture: ") + what + " waits for the device, a sync that a graph cannot capture; call it before or after capture");
  }
}

void refuseRead(Napi::Env env) {
  if (stateOf(env).capturing) {
    throw torchError(env, "CUDA graph capture: reading a CUDA tensor back to the host is a device sync that a graph cannot capture; read it after capture");
  }
}

void checkCapturable(Napi::Env env, const OpEntry& op, const torch::jit::Stack& stack, bool outputs) {
  const std::string prefix = "CUDA graph capture: " + op.name + " ";
  if (!outputs && (op.name == "aten::item" || op.name == "aten::_local_scalar_dense")) {
    throw torchError(env, prefix + "reads a value back to the host, a device sync that a graph cannot capture: read values after capture (or outside the captured function)");
  }
  for (size_t i = 0; i < stack.size(); i++) {
    const c10::IValue& v = stack[i];
    std::string where = outputs ? "returned a " : "got a ";
    std::string what = outputs ? "result " + std::to_string(i) : "argument '" + (i < op.args.size() ? op.args[i].name : std::to_string(i)) + "'";
    auto refuse = [&](const at::Tensor& t) {
      throw torchError(env, prefix + where + deviceWord(t) + " tensor (" + what + "): work off the GPU is not captured, so a replay would not repeat it; " +
                                "keep every tensor of the captured work on the GPU");
    };
    if (offDevice(v)) refuse(v.toTensor());
    if (v.isTensorList()) {
      for (const at::Tensor& t : v.toTensorVector()) if (t.defined() && !t.is_cuda()) refuse(t);
    }
  }
}

#ifdef TORCHNODE_CUDA

namespace {

using c10::cuda::CUDAStream;

struct GraphHolder {
  std::unique_ptr<at::cuda::CUDAGraph> graph = std::make_unique<at::cuda::CUDAGraph>();
  std::optional<c10::cuda::CUDAStreamGuard> guard;  // the capture stream, current while capturing
  c10::DeviceIndex device = 0;
  bool capturing = false;
  bool captured = false;
};

struct StreamHolder {
  CUDAStream stream;
};

struct EventHolder {
  at::cuda::CUDAEvent event;
};

template <class T>
T& held(const Napi::CallbackInfo& info, size_t i) {
  return *info[i].As<Napi::External<T>>().Data();
}

template <class T>
Napi::Value wrap(Napi::Env env, T* p) {
  return Napi::External<T>::New(env, p, [](Napi::Env, T* q) { delete q; });
}

c10::DeviceIndex deviceArg(const Napi::CallbackInfo& info, size_t i) { return static_cast<c10::DeviceIndex>(cudaDeviceArg(info, i)); }

Napi::Value poolValue(Napi::Env env, at::cuda::MempoolId_t id) {
  Napi::Array out = Napi::Array::New(env, 2);
  out[0u] = static_cast<double>(id.first);
  out[1u] = static_cast<double>(id.second);
  return out;
}

// One capture stream per device, as torch.cuda.graph's default: graphs that share a memory
// pool must be captured on the same stream. A stream a failed capture may have left routed to
// its pool is dropped, never reused.
std::map<c10::DeviceIndex, CUDAStream>& captureStreams() {
  static std::map<c10::DeviceIndex, CUDAStream> streams;
  return streams;
}

CUDAStream captureStream(c10::DeviceIndex device) {
  auto& streams = captureStreams();
  auto it = streams.find(device);
  if (it != streams.end()) return it->second;
  c10::cuda::CUDAGuard guard(device);
  cudaStream_t raw = nullptr;
  C10_CUDA_CHECK(cudaStreamCreateWithFlags(&raw, cudaStreamNonBlocking));
  return streams.emplace(device, c10::cuda::getStreamFromExternal(raw, device)).first->second;
}

cudaStreamCaptureMode captureMode(Napi::Env env, const std::string& m) {
  if (m == "global") return cudaStreamCaptureModeGlobal;
  if (m == "thread_local") return cudaStreamCaptureModeThreadLocal;
  if (m == "relaxed") return cudaStreamCaptureModeRelaxed;
  throwTypeError(env, "unknown capture error mode '" + m + "'");
}

void endCapture(Napi::Env env, GraphHolder& g) {
  g.guard.reset();
  g.capturing = false;
  stateOf(env).capturing--;
}

}  // namespace

Napi::Value CudaGraphNew(const Napi::CallbackInfo& info) { return wrap(info.Env(), new GraphHolder()); }

Napi::Value CudaGraphCaptureBegin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GraphHolder& g = held<GraphHolder>(info, 0);
  if (g.capturing) throw torchError(env, "CUDAGraph.captureBegin(): this graph is already capturing");
  if (g.captured) throw torchError(env, "CUDAGraph.captureBegin(): this graph holds a capture already; reset() it first");
  c10::DeviceIndex device = deviceArg(info, 1);
  at::cuda::MempoolId_t pool{0, 0};
  if (info[2].IsArray()) {
    Napi::Array p = info[2].As<Napi::Array>();
    pool = {static_cast<at::cuda::CaptureId_t>(p.Get(0u).As<Napi::Number>().Int64Value()),
            static_cast<at::cuda::CaptureId_t>(p.Get(1u).As<Napi::Number>().Int64Value())};
  }
  cudaStreamCaptureMode mode = captureMode(env, info[3].As<Napi::String>().Utf8Value());
  CUDAStream stream = info[4].IsExternal() ? held<StreamHolder>(info, 4).stream : captureStream(device);
  if (stream.device_index() != device) throw torchError(env, "CUDAGraph.captureBegin(): the stream is on another device than the capture");
  if (stream == c10::cuda::getDefaultCUDAStream(device)) {
    throw torchError(env, "CUDAGraph.captureBegin(): capture on the default stream is not allowed; use a side stream");
  }
  // the captured work starts after what is already queued on the current stream
  at::cuda::CUDAEvent ready;
  ready.record(c10::cuda::getCurrentCUDAStream(device));
  ready.block(stream);
  g.guard.emplace(stream);
  g.capturing = true;
  g.device = device;
  stateOf(env).capturing++;
  try {
    g.graph->capture_begin(pool, mode);
  } catch (...) {
    endCapture(env, g);
    throw;
  }
  return env.Undefined();
}

Napi::Value CudaGraphCaptureEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GraphHolder& g = held<GraphHolder>(info, 0);
  if (!g.capturing) throw torchError(env, "CUDAGraph.captureEnd(): this graph is not capturing");
  try {
    g.graph->capture_end();
  } catch (...) {
    captureStreams().erase(g.device);
    endCapture(env, g);
    g.graph = std::make_unique<at::cuda::CUDAGraph>();  // the failed capture's graph is not reusable
    throw;
  }
  endCapture(env, g);
  g.captured = true;
  return env.Undefined();
}

// Ends a capture that failed part-way, dropping what was captured; never throws.
Napi::Value CudaGraphAbort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GraphHolder& g = held<GraphHolder>(info, 0);
  if (!g.capturing) return env.Undefined();
  bool ended = true;
  try {
    g.graph->capture_end();
  } catch (...) {
    ended = false;
  }
  if (!ended) captureStreams().erase(g.device);
  endCapture(env, g);
  try {
    g.graph->reset();
  } catch (...) {
  }
  g.graph = std::make_unique<at::cuda::CUDAGraph>();
  g.captured = false;
  return env.Undefined();
}

Napi::Value CudaGraphReplay(const Napi::CallbackInfo& info) {
  GraphHolder& g = held<GraphHolder>(info, 0);
  if (!g.captured) throw torchError(info.Env(), g.capturing ? "CUDAGraph.replay(): the capture has not ended" : "CUDAGraph.replay(): nothing was captured");
  c10::cuda::CUDAGuard guard(g.device);
  g.graph->replay();
  return info.Env().Undefined();
}

Napi::Value CudaGraphReset(const Napi::CallbackInfo& info) {
  GraphHolder& g = held<GraphHolder>(info, 0);
  if (g.capturing) throw torchError(info.Env(), "CUDAGraph.reset(): the graph is capturing; end or abort the capture first");
  g.graph->reset();
  g.graph = std::make_unique<at::cuda::CUDAGraph>();
  g.captured = false;
  return info.Env().Undefined();
}

Napi::Value CudaGraphPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GraphHolder& g = held<GraphHolder>(info, 0);
  if (!g.capturing && !g.captured) throw torchError(env, "CUDAGraph.pool(): the graph has no memory pool before capture_begin");
  return poolValue(env, g.graph->pool());
}

Napi::Value CudaGraphPoolHandle(const Napi::CallbackInfo& info) { return poolValue(info.Env(), at::cuda::graph_pool_handle()); }

Napi::Value CudaGraphStatus(const Napi::CallbackInfo& info) {
  GraphHolder& g = held<GraphHolder>(info, 0);
  return Napi::String::New(info.Env(), g.capturing ? "capturing" : g.captured ? "captured" : "empty");
}

Napi::Value CudaIsCapturing(const Napi::CallbackInfo& info) {
  if (c10::cuda::device_count() == 0) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), c10::cuda::currentStreamCaptureStatusMayInitCtx() != c10::cuda::CaptureStatus::None);
}

Napi::Value CudaStreamNew(const Napi::CallbackInfo& info) {
  c10::DeviceIndex device = deviceArg(info, 0);
  bool high = info[1].As<Napi::Boolean>().Value();
  return wrap(info.Env(), new StreamHolder{c10::cuda::getStreamFromPool(high, device)});
}

Napi::Value CudaStreamCurrent(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), new StreamHolder{c10::cuda::getCurrentCUDAStream(deviceArg(info, 0))});
}

Napi::Value CudaStreamDefault(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), new StreamHolder{c10::cuda::getDefaultCUDAStream(deviceArg(info, 0))});
}

// Makes the stream current on its device; returns the stream that was current there.
Napi::Value CudaStreamSet(const Napi::CallbackInfo& info) {
  CUDAStream s = held<StreamHolder>(info, 0).stream;
  auto* previous = new StreamHolder{c10::cuda::getCurrentCUDAStream(s.device_index())};
  c10::cuda::setCurrentCUDAStream(s);
  return wrap(info.Env(), previous);
}

Napi::Value CudaStreamInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CUDAStream s = held<StreamHolder>(info, 0).stream;
  Napi::Object out = Napi::Object::New(env);
  out["device"] = static_cast<double>(s.device_index());
  out["id"] = static_cast<double>(s.id());
  out["priority"] = s.priority();
  out["isDefault"] = s == c10::cuda::getDefaultCUDAStream(s.device_index());
  return out;
}

Napi::Value CudaStreamQuery(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), held<StreamHolder>(info, 0).stream.query());
}

Napi::Value CudaStreamSynchronize(const Napi::CallbackInfo& info) {
  refuseWhileCapturing(info.Env(), "Stream.synchronize()");
  held<StreamHolder>(info, 0).stream.synchronize();
  return info.Env().Undefined();
}

// waitStream(s, other): work queued on s from now on waits for what `other` has queued so far.
Napi::Value CudaStreamWaitStream(const Napi::CallbackInfo& info) {
  CUDAStream s = held<StreamHolder>(info, 0).stream;
  CUDAStream other = held<StreamHolder>(info, 1).stream;
  at::cuda::CUDAEvent e;
  e.record(other);
  e.block(s);
  return info.Env().Undefined();
}

Napi::Value CudaEventNew(const Napi::CallbackInfo& info) {
  bool timing = info[0].As<Napi::Boolean>().Value();
  bool blocking = info[1].As<Napi::Boolean>().Value();
  unsigned int flags = (timing ? cudaEventDefault : cudaEventDisableTiming) | (blocking ? cudaEventBlockingSync : 0);
  return wrap(info.Env(), new EventHolder{at::cuda::CUDAEvent(flags)});
}

Napi::Value CudaEventRecord(const Napi::CallbackInfo& info) {
  held<EventHolder>(info, 0).event.record(held<StreamHolder>(info, 1).stream);
  return info.Env().Undefined();
}

Napi::Value CudaEventWait(const Napi::CallbackInfo& info) {
  held<EventHolder>(info, 0).event.block(held<StreamHolder>(info, 1).stream);
  return info.Env().Undefined();
}

Napi::Value CudaEventQuery(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), held<EventHolder>(info, 0).event.query());
}

Napi::Value CudaEventSynchronize(const Napi::CallbackInfo& info) {
  refuseWhileCapturing(info.Env(), "Event.synchronize()");
  held<EventHolder>(info, 0).event.synchronize();
  return info.Env().Undefined();
}

Napi::Value CudaEventElapsed(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), held<EventHolder>(info, 0).event.elapsed_time(held<EventHolder>(info, 1).event));
}

#else  // no CUDA: every entry point says why

namespace {

Napi::Value noCuda(const Napi::CallbackInfo& info) {
  throw torchError(info.Env(), "CUDA graphs, streams and events need a CUDA build: torchnode was built against libtorch " +
                                   std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + " without CUDA");
}

}  // namespace

Napi::Value CudaGraphNew(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphCaptureBegin(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphCaptureEnd(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphAbort(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphReplay(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphReset(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphPool(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphPoolHandle(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaGraphStatus(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaIsCapturing(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), false); }
Napi::Value CudaStreamNew(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamCurrent(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamDefault(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamSet(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamInfo(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamQuery(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamSynchronize(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaStreamWaitStream(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaEventNew(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaEventRecord(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaEventWait(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaEventQuery(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaEventSynchronize(const Napi::CallbackInfo& info) { return noCuda(info); }
Napi::Value CudaEventElapsed(const Napi::CallbackInfo& info) { return noCuda(info); }

#endif

}  // namespace torchnode
