// What differs between libtorch 1.13 and 2.x, in one place: every version guard lives in
// compat.cc, and the rest of the addon calls these functions instead of writing #if.
#pragma once

#include <ATen/core/ATen_fwd.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <string>

namespace torchnode::compat {

// Autocast state: per device type in 2.4+, a CPU and a GPU pair of switches in 1.13.
bool autocastEnabled(c10::DeviceType device);
void setAutocastEnabled(c10::DeviceType device, bool enabled);
at::ScalarType autocastDtype(c10::DeviceType device);
void setAutocastDtype(c10::DeviceType device, at::ScalarType dtype);

// Whether a c10d store error says the port is taken (the wording changed in 2.x).
bool isAddressInUse(const std::string& message);

// CUDA devices libtorch sees (size_t in 1.13, an 8-bit DeviceIndex in 2.x).
int64_t cudaDeviceCount();

}  // namespace torchnode::compat
