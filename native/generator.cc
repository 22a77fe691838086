#include "generator.h"

#include <ATen/Context.h>
#include <c10/core/Device.h>
#include <c10/core/GeneratorImpl.h>

#include <mutex>
#include <string>

#include "errors.h"
#include "handle.h"

namespace torchnode {

namespace {

// Marks externals made here, so an unrelated external is never read as a generator.
const napi_type_tag kGeneratorTag = {0x7f1c2e55a0b34d21ULL, 0x9b6e0c4d8a2f1e37ULL};

Napi::Value wrap(Napi::Env env, at::Generator gen) {
  auto ext = Napi::External<at::Generator>::New(env, new at::Generator(std::move(gen)),
                                                [](Napi::Env, at::Generator* g) { delete g; });
  ext.TypeTag(&kGeneratorTag);
  return ext;
}

at::Generator& held(const Napi::CallbackInfo& info) {
  const at::Generator* g = generatorFrom(info.Env(), info[0]);
  if (g == nullptr) throwTypeError(info.Env(), "Expected a Generator handle");
  return *const_cast<at::Generator*>(g);
}

c10::Device deviceArg(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throwTypeError(info.Env(), "Expected a device string");
  return c10::Device(info[0].As<Napi::String>().Utf8Value());
}

}  // namespace

const at::Generator* generatorFrom(Napi::Env env, napi_value v) {
  Napi::Value value(env, v);
  if (!value.IsExternal()) return nullptr;
  auto ext = value.As<Napi::External<at::Generator>>();
  return ext.CheckTypeTag(&kGeneratorTag) ? ext.Data() : nullptr;
}

Napi::Value GeneratorNew(const Napi::CallbackInfo& info) {
  // A clone of the device's default generator has that device's engine; reseeding it gives the
  // state PyTorch's torch.Generator(device) starts in, without device-specific headers.
  at::Generator gen = at::globalContext().defaultGenerator(deviceArg(info)).clone();
  gen.set_current_seed(c10::default_rng_seed_val);
  return wrap(info.Env(), std::move(gen));
}

Napi::Value GeneratorDefault(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::globalContext().defaultGenerator(deviceArg(info)));
}

Napi::Value GeneratorManualSeed(const Napi::CallbackInfo& info) {
  at::Generator& gen = held(info);
  bool lossless = false;
  uint64_t seed = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed);
  return info.Env().Undefined();
}

Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
  at::Generator& gen = held(info);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(gen.seed()));
}

Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info) {
  at::Generator& gen = held(info);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(gen.current_seed()));
}

Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
  at::Generator& gen = held(info);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return wrapTensor(info.Env(), gen.get_state());
}

Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
  at::Generator& gen = held(info);
  const at::Tensor& state = unwrapTensor(info.Env(), info[1], "state");
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
  return info.Env().Undefined();
}

Napi::Value GeneratorDevice(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), held(info).device().str());
}

}  // namespace torchnode
