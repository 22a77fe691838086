// Tensor entry points that are not ATen operators: handles, host memory, metadata, autograd.
#pragma once

#include <napi.h>

namespace torchnode {

Napi::Value Dispose(const Napi::CallbackInfo& info);
Napi::Value FromBuffer(const Napi::CallbackInfo& info);
Napi::Value ToBuffer(const Napi::CallbackInfo& info);
Napi::Value ToBufferAsync(const Napi::CallbackInfo& info);
Napi::Value Shape(const Napi::CallbackInfo& info);
Napi::Value Dtype(const Napi::CallbackInfo& info);
Napi::Value DeviceOf(const Napi::CallbackInfo& info);
Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info);
Napi::Value Grad(const Napi::CallbackInfo& info);
Napi::Value SetGrad(const Napi::CallbackInfo& info);
Napi::Value IsLeaf(const Napi::CallbackInfo& info);
Napi::Value IsContiguous(const Napi::CallbackInfo& info);
Napi::Value Backward(const Napi::CallbackInfo& info);
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info);
Napi::Value IsGradEnabled(const Napi::CallbackInfo& info);
Napi::Value Memory(const Napi::CallbackInfo& info);

}  // namespace torchnode
