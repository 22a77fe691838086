#include "dispatch.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "convert.h"
#include "cuda_graph.h"
#include "errors.h"
#include "state.h"
#include "trace.h"

namespace torchnode {

namespace {

// Process-wide and append-only: an entry never changes once published, so every environment
// and thread reads the table without a lock; only appending takes the mutex.
constexpr size_t kMaxOps = 8192;
std::mutex registryMutex;
std::array<std::atomic<const OpEntry*>, kMaxOps> registry{};
size_t registrySize = 0;                           // guarded by registryMutex
std::unordered_map<std::string, size_t> idByName;  // guarded by registryMutex: each worker
                                                   // thread resolves again, to the same entry

}  // namespace

OpEntry entryOf(const c10::OperatorHandle& handle, std::string name) {
  const c10::FunctionSchema& schema = handle.schema();
  OpEntry entry{handle, std::move(name), {}, {}};
  for (const c10::Argument& a : schema.arguments()) entry.args.push_back(specOf(a));
  for (const c10::Argument& r : schema.returns()) entry.returnsWrittenInput.push_back(r.alias_info() && r.alias_info()->isWrite());
  return entry;
}

const OpEntry& entryAt(Napi::Env env, napi_value idValue) {
  uint32_t id = UINT32_MAX;
  napi_get_value_uint32(env, idValue, &id);
  const OpEntry* e = id < kMaxOps ? registry[id].load(std::memory_order_acquire) : nullptr;
  if (e == nullptr) throwTypeError(env, "unknown operator id " + std::to_string(id));
  return *e;
}

Napi::Value ResolveOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].As<Napi::String>().Utf8Value();
  auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str());
  const c10::FunctionSchema& schema = handle.schema();

  OpEntry entry = entryOf(handle, overload.empty() ? name : name + "." + overload);
  Napi::Array args = Napi::Array::New(env, schema.arguments().size());
  for (size_t i = 0; i < schema.arguments().size(); i++) {
    const c10::Argument& a = schema.arguments()[i];
    Napi::Object o = Napi::Object::New(env);
    o["name"] = a.name();
    o["type"] = a.type()->str();
    o["hasDefault"] = a.default_value().has_value();
    o["supported"] = entry.args[i].kind != ArgKind::Unsupported;
    args[i] = o;
  }
  size_t id;
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    auto known = idByName.find(entry.name);
    if (known != idByName.end()) {
      id = known->second;
    } else {
      if (registrySize == kMaxOps) throw torchError(env, "too many operators resolved");
      id = registrySize++;
      idByName.emplace(entry.name, id);
      registry[id].store(new OpEntry(std::move(entry)), std::memory_order_release);  // lives until exit
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out["id"] = static_cast<double>(id);
  out["arguments"] = args;
  out["returns"] = static_cast<double>(schema.returns().size());
  return out;
}

Napi::Value CallOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const OpEntry& op = entryAt(env, info[0]);
  size_t given = info.Length() - 1;
  if (given > op.args.size()) {
    throwTypeError(env, op.name + ": takes " + std::to_string(op.args.size()) +
                            " arguments but received " + std::to_string(given));
  }
  AddonState& state = stateOf(env);
  // No JS runs during a call, so the environment's one stack cannot be in use; emptied on every exit.
  torch::jit::Stack& stack = state.stack;
  struct Emptied {
    torch::jit::Stack& s;
    ~Emptied() { s.clear(); }
  } emptied{stack};
  stack.clear();
  stack.reserve(std::max(op.args.size(), op.returnsWrittenInput.size()));
  napi_value undefined = env.Undefined();
  for (size_t i = 0; i < op.args.size(); i++) {
    stack.push_back(toIValue(env, i < given ? static_cast<napi_value>(info[i + 1]) : undefined,
                             op.args[i], op.name));
  }
  Recorder* recorder = state.recorder.get();
  if (recorder) recorder->recordCall(env, op, info, stack);
  if (state.capturing) checkCapturable(env, op, stack, false);
  op.handle.callBoxed(&stack);
  if (state.capturing) checkCapturable(env, op, stack, true);

  size_t n = stack.size();
  Napi::Value result = env.Undefined();
  if (n == 1) {
    if (!op.returnsWrittenInput[0]) result = fromIValue(env, std::move(stack[0]));
  } else if (n > 1) {
    Napi::Array out = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; i++) {
      out[i] = op.returnsWrittenInput[i] ? env.Undefined() : fromIValue(env, std::move(stack[i]));
    }
    result = out;
  }
  if (recorder) recorder->recordOutputs();
  return result;
}

}  // namespace torchnode
