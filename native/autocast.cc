#include "autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <string>

#include "errors.h"

// libtorch 2.4 made autocast's state per device type; the old per-device names are deprecated.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHNODE_AUTOCAST_BY_DEVICE 1
#endif

namespace torchnode {

namespace {

c10::DeviceType deviceType(const Napi::CallbackInfo& info) {
  std::string d = info[0].As<Napi::String>().Utf8Value();
  if (d == "cpu") return c10::DeviceType::CPU;
  if (d == "cuda") return c10::DeviceType::CUDA;
  throwTypeError(info.Env(), "autocast supports 'cpu' and 'cuda', not '" + d + "'");
}

#ifdef TORCHNODE_AUTOCAST_BY_DEVICE
bool isEnabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void setEnabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType getDtype(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void setDtype(c10::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool isEnabled(c10::DeviceType d) {
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
void setEnabled(c10::DeviceType d, bool on) {
  if (d == c10::DeviceType::CPU) at::autocast::set_cpu_enabled(on);
  else at::autocast::set_enabled(on);
}
at::ScalarType getDtype(c10::DeviceType d) {
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
}
void setDtype(c10::DeviceType d, at::ScalarType t) {
  if (d == c10::DeviceType::CPU) at::autocast::set_autocast_cpu_dtype(t);
  else at::autocast::set_autocast_gpu_dtype(t);
}
#endif

}  // namespace

Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = deviceType(info);
  bool enabled = info[1].As<Napi::Boolean>().Value();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  Napi::Array previous = Napi::Array::New(env, 2);
  previous[0u] = isEnabled(d);
  previous[1u] = static_cast<int>(getDtype(d));
  setEnabled(d, enabled);
  setDtype(d, dtype);
  at::autocast::increment_nesting();
  return previous;
}

Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  c10::DeviceType d = deviceType(info);
  // The cast cache lives as long as the outermost scope.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  setEnabled(d, info[1].As<Napi::Boolean>().Value());
  setDtype(d, static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value()));
  return info.Env().Undefined();
}

}  // namespace torchnode
