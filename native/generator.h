// torch.Generator: random-number generators held by JS as tagged externals, passed to any
// operator whose schema takes a Generator.
#pragma once

#include <ATen/core/Generator.h>
#include <napi.h>

namespace torchnode {

// The generator a JS value holds, or nullptr when it is not a generator handle.
const at::Generator* generatorFrom(Napi::Env env, napi_value v);

// generatorNew(device) -> handle: a fresh generator, seeded as PyTorch seeds a new one.
Napi::Value GeneratorNew(const Napi::CallbackInfo& info);
// generatorDefault(device) -> handle: libtorch's global generator of that device.
Napi::Value GeneratorDefault(const Napi::CallbackInfo& info);
// generatorManualSeed(g, seed: bigint)
Napi::Value GeneratorManualSeed(const Napi::CallbackInfo& info);
// generatorSeed(g) -> bigint: reseeds from a non-deterministic source.
Napi::Value GeneratorSeed(const Napi::CallbackInfo& info);
// generatorInitialSeed(g) -> bigint
Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info);
// generatorGetState(g) -> tensor handle (uint8)
Napi::Value GeneratorGetState(const Napi::CallbackInfo& info);
// generatorSetState(g, state tensor handle)
Napi::Value GeneratorSetState(const Napi::CallbackInfo& info);
// generatorDevice(g) -> 'cpu' | 'cuda:0' ...
Napi::Value GeneratorDevice(const Napi::CallbackInfo& info);

}  // namespace torchnode
