// ATen operators resolved once by schema and called through libtorch's dispatcher with boxed
// arguments: autograd, CPU/CUDA/cuDNN kernels and new ops come from libtorch itself.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <napi.h>

#include <string>
#include <vector>

#include "convert.h"

namespace torchnode {

// One resolved operator: its schema read once into a converter table.
struct OpEntry {
  c10::OperatorHandle handle;
  std::string name;  // "aten::add.Tensor", for messages
  std::vector<ArgSpec> args;
  std::vector<bool> returnsWrittenInput;  // in-place/out results: JS already holds them
};

// An operator's converter table, read from its schema; `name` is for messages.
OpEntry entryOf(const c10::OperatorHandle& handle, std::string name);

// The entry for a JS operator id; a TypeError for an unknown id.
const OpEntry& entryAt(Napi::Env env, napi_value idValue);

// resolveOp(name, overload) -> {id, arguments: [{name, type, hasDefault}], returns}
Napi::Value ResolveOp(const Napi::CallbackInfo& info);

// call(id, ...args): arguments in schema order; undefined takes the schema's default.
Napi::Value CallOp(const Napi::CallbackInfo& info);

}  // namespace torchnode
