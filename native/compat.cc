#include "compat.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

// libtorch 2.4 made autocast's state per device type; the old per-device names are deprecated.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHNODE_AUTOCAST_BY_DEVICE 1
#endif

namespace torchnode::compat {

#ifdef TORCHNODE_AUTOCAST_BY_DEVICE
bool autocastEnabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void setAutocastEnabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType autocastDtype(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void setAutocastDtype(c10::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool autocastEnabled(c10::DeviceType d) {
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
void setAutocastEnabled(c10::DeviceType d, bool on) {
  if (d == c10::DeviceType::CPU) at::autocast::set_cpu_enabled(on);
  else at::autocast::set_enabled(on);
}
at::ScalarType autocastDtype(c10::DeviceType d) {
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
}
void setAutocastDtype(c10::DeviceType d, at::ScalarType t) {
  if (d == c10::DeviceType::CPU) at::autocast::set_autocast_cpu_dtype(t);
  else at::autocast::set_autocast_gpu_dtype(t);
}
#endif

// 1.13: "Address already in use"; 2.x: "... code: -98, name: EADDRINUSE, message: address already in use"
bool isAddressInUse(const std::string& m) {
  return m.find("Address already in use") != std::string::npos || m.find("EADDRINUSE") != std::string::npos;
}

int64_t cudaDeviceCount() { return static_cast<int64_t>(torch::cuda::device_count()); }

}  // namespace torchnode::compat
