#include "errors.h"

#include <c10/util/Exception.h>

#include "state.h"

namespace torchnode {

Napi::Error torchError(Napi::Env env, const std::string& message) {
  auto& ctor = stateOf(env).torchError;
  if (ctor.IsEmpty()) return Napi::Error::New(env, message);
  return Napi::Error(env, ctor.New({Napi::String::New(env, message)}));
}

void throwTypeError(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

Napi::Value guarded(const Napi::CallbackInfo& info, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
  Napi::Env env = info.Env();
  try {
    return fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    // what() carries a C++ backtrace; users need only the message.
    throw torchError(env, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw torchError(env, e.what());
  } catch (...) {
    throw torchError(env, "unknown C++ exception in libtorch");
  }
}

}  // namespace torchnode
