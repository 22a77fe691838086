// The operators the loaded libtorch has, and their schemas read as data (for torch.ops.aten).
#pragma once

#include <napi.h>

namespace torchnode {

// opSchemas() -> every registered operator's schema, as PyTorch prints it ("aten::add.Tensor(...) -> Tensor").
Napi::Value OpSchemas(const Napi::CallbackInfo& info);

// opSchema(name, overload) -> {schema, arguments: [{name, type, kwargOnly, hasDefault, writes}],
// returns: [{name, type, aliasOf}]} or null when libtorch has no such operator.
Napi::Value OpSchema(const Napi::CallbackInfo& info);

}  // namespace torchnode
