// One guard turns every C++ exception into a JS error: none may reach Node (it would abort).
#pragma once

#include <napi.h>

#include <string>

namespace torchnode {

// A TorchError (the TypeScript class) carrying `message`.
Napi::Error torchError(Napi::Env env, const std::string& message);

// A TypeError for arguments the binding cannot convert.
[[noreturn]] void throwTypeError(Napi::Env env, const std::string& message);

// Runs a native entry point with every exception converted to a JS exception.
Napi::Value guarded(const Napi::CallbackInfo& info, Napi::Value (*fn)(const Napi::CallbackInfo&));

template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value Guard(const Napi::CallbackInfo& info) {
  return guarded(info, Fn);
}

}  // namespace torchnode
