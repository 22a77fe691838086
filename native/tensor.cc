#include "tensor.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Optional.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_graph.h"
#include "errors.h"
#include "handle.h"
#include "state.h"

namespace torchnode {

namespace {

at::Tensor& arg(const Napi::CallbackInfo& info, size_t i, const char* what = "self") {
  return unwrapTensor(info.Env(), info[i], what);
}

std::vector<int64_t> intList(const Napi::Array& a) {
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

// Host memory for a read-back: malloc fails with an error where V8's allocator would abort the process.
void* hostAlloc(Napi::Env env, size_t nbytes) {
  void* data = std::malloc(nbytes ? nbytes : 1);
  if (!data) throw torchError(env, "cannot allocate " + std::to_string(nbytes) + " bytes to read the tensor back");
  return data;
}

// An ArrayBuffer over malloc'ed bytes, freed when the garbage collector frees the buffer.
Napi::ArrayBuffer hostArrayBuffer(Napi::Env env, void* data, size_t nbytes) {
  return Napi::ArrayBuffer::New(env, data, nbytes, [](Napi::Env, void* p) { std::free(p); });
}

// A contiguous CPU copy of `t`, written straight into `dst` (one copy for any device/layout).
void copyToHost(const at::Tensor& t, void* dst) {
  at::Tensor view = at::from_blob(dst, t.sizes(), at::TensorOptions().dtype(t.scalar_type()));
  view.copy_(t.detach());
}

class ToBufferWorker : public Napi::AsyncWorker {
 public:
  ToBufferWorker(Napi::Env env, at::Tensor t)
      : Napi::AsyncWorker(env), tensor_(std::move(t)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      nbytes_ = tensor_.numel() * tensor_.element_size();
      bytes_ = std::malloc(nbytes_ ? nbytes_ : 1);
      if (!bytes_) throw std::runtime_error("cannot allocate " + std::to_string(nbytes_) + " bytes to read the tensor back");
      if (nbytes_) copyToHost(tensor_, bytes_);
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
    tensor_ = at::Tensor();  // release on this thread: the copy is done
  }
  void OnOK() override {
    void* data = bytes_;
    bytes_ = nullptr;
    deferred_.Resolve(hostArrayBuffer(Env(), data, nbytes_));
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(torchError(Env(), e.Message()).Value());
  }
  ~ToBufferWorker() override { std::free(bytes_); }

 private:
  at::Tensor tensor_;
  void* bytes_ = nullptr;
  size_t nbytes_ = 0;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Handle* h = handleFrom(info.Env(), info[0]);
  if (h) freeHandle(info.Env(), h);
  return info.Env().Undefined();
}

// fromBuffer(bytes: ArrayBufferView, dtype: int, shape: int[]) -> handle (a copy of the bytes)
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::TypedArray view = info[0].As<Napi::TypedArray>();
  auto dtype = static_cast<at::ScalarType>(info[1].As<Napi::Number>().Int32Value());
  std::vector<int64_t> shape = intList(info[2].As<Napi::Array>());
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t nbytes = t.numel() * t.element_size();
  if (view.ByteLength() != nbytes) {
    throwTypeError(env, "buffer holds " + std::to_string(view.ByteLength()) + " bytes but shape " +
                            "and dtype need " + std::to_string(nbytes));
  }
  auto* src = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  if (nbytes) std::memcpy(t.data_ptr(), src, nbytes);
  return wrapTensor(env, std::move(t));
}

Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  const at::Tensor& t = arg(info, 0);
  if (t.is_cuda()) refuseRead(info.Env());
  size_t nbytes = t.numel() * t.element_size();
  void* data = hostAlloc(info.Env(), nbytes);
  try {
    if (nbytes) copyToHost(t, data);
  } catch (...) {
    std::free(data);
    throw;
  }
  return hostArrayBuffer(info.Env(), data, nbytes);
}

Napi::Value ToBufferAsync(const Napi::CallbackInfo& info) {
  if (arg(info, 0).is_cuda()) refuseRead(info.Env());
  auto* worker = new ToBufferWorker(info.Env(), arg(info, 0));
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto sizes = arg(info, 0).sizes();
  Napi::Array out = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) out[i] = Napi::Number::New(env, sizes[i]);
  return out;
}

Napi::Value Dtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(arg(info, 0).scalar_type()));
}

Napi::Value DeviceOf(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), arg(info, 0).device().str());
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), arg(info, 0).requires_grad());
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  arg(info, 0).set_requires_grad(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  return wrapTensor(info.Env(), arg(info, 0).grad());
}

// setGrad(self, grad | null): null clears the gradient (PyTorch's `t.grad = None`).
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  at::Tensor& self = arg(info, 0);
  if (info[1].IsNull() || info[1].IsUndefined()) {
    self.mutable_grad() = at::Tensor();
  } else {
    self.mutable_grad() = arg(info, 1, "grad");
  }
  return info.Env().Undefined();
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), arg(info, 0).is_leaf());
}

// isContiguous(self, memoryFormat: int)
Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  auto format = static_cast<at::MemoryFormat>(info[1].As<Napi::Number>().Int32Value());
  return Napi::Boolean::New(info.Env(), arg(info, 0).is_contiguous(format));
}

// backward(self, gradient | null, retainGraph: bool | undefined, createGraph: bool)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  at::Tensor& self = arg(info, 0);
  at::Tensor gradient;
  if (!info[1].IsNull() && !info[1].IsUndefined()) gradient = arg(info, 1, "gradient");
  c10::optional<bool> retain;
  if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
  self.backward(gradient, retain, info[3].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// setGradEnabled(enabled) -> the previous mode, so callers can restore it.
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonState& s = stateOf(env);
  Napi::Object out = Napi::Object::New(env);
  out["liveTensors"] = static_cast<double>(s.liveTensors);
  out["hostBytes"] = static_cast<double>(s.hostBytes);
  return out;
}

}  // namespace torchnode
