// ATen operators resolved once by schema and called through libtorch's dispatcher with boxed
// arguments: autograd, CPU/CUDA/cuDNN kernels and new ops come from libtorch itself.
#pragma once

#include <napi.h>

namespace torchnode {

// resolveOp(name, overload) -> {id, arguments: [{name, type, hasDefault}], returns}
Napi::Value ResolveOp(const Napi::CallbackInfo& info);

// call(id, ...args): arguments in schema order; undefined takes the schema's default.
Napi::Value CallOp(const Napi::CallbackInfo& info);

}  // namespace torchnode
