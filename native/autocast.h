// Autocast scopes, as torch.autocast opens them (thread-local state of the calling thread).
#pragma once

#include <napi.h>

namespace torchnode {

// autocastEnter(device: 'cpu' | 'cuda', enabled, dtype) -> [previousEnabled, previousDtype]
Napi::Value AutocastEnter(const Napi::CallbackInfo& info);
// autocastExit(device, previousEnabled, previousDtype)
Napi::Value AutocastExit(const Napi::CallbackInfo& info);

}  // namespace torchnode
