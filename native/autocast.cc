#include "autocast.h"

#include <ATen/autocast_mode.h>

#include <string>

#include "compat.h"
#include "errors.h"

namespace torchnode {

namespace {

c10::DeviceType deviceType(const Napi::CallbackInfo& info) {
  std::string d = info[0].As<Napi::String>().Utf8Value();
  if (d == "cpu") return c10::DeviceType::CPU;
  if (d == "cuda") return c10::DeviceType::CUDA;
  throwTypeError(info.Env(), "autocast supports 'cpu' and 'cuda', not '" + d + "'");
}

}  // namespace

Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = deviceType(info);
  bool enabled = info[1].As<Napi::Boolean>().Value();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  Napi::Array previous = Napi::Array::New(env, 2);
  previous[0u] = compat::autocastEnabled(d);
  previous[1u] = static_cast<int>(compat::autocastDtype(d));
  compat::setAutocastEnabled(d, enabled);
  compat::setAutocastDtype(d, dtype);
  at::autocast::increment_nesting();
  return previous;
}

Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  c10::DeviceType d = deviceType(info);
  // The cast cache lives as long as the outermost scope.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  compat::setAutocastEnabled(d, info[1].As<Napi::Boolean>().Value());
  compat::setAutocastDtype(d, static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value()));
  return info.Env().Undefined();
}

}  // namespace torchnode
