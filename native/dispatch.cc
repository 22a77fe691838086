#include "dispatch.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "convert.h"
#include "errors.h"

namespace torchnode {

namespace {

struct OpEntry {
  c10::OperatorHandle handle;
  std::string name;  // "aten::add.Tensor", for messages
  std::vector<ArgSpec> args;
  std::vector<bool> returnsWrittenInput;  // in-place/out results: JS already holds them
};

// Process-wide: entries are only appended (under the mutex) and never change after that, so
// every environment and thread may read them.
std::mutex registryMutex;
std::deque<OpEntry> registry;

const OpEntry& entryAt(Napi::Env env, napi_value idValue) {
  uint32_t id = 0;
  napi_get_value_uint32(env, idValue, &id);
  std::lock_guard<std::mutex> lock(registryMutex);
  if (id >= registry.size()) throwTypeError(env, "unknown operator id " + std::to_string(id));
  return registry[id];
}

}  // namespace

Napi::Value ResolveOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].As<Napi::String>().Utf8Value();
  auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str());
  const c10::FunctionSchema& schema = handle.schema();

  OpEntry entry{handle, overload.empty() ? name : name + "." + overload, {}, {}};
  Napi::Array args = Napi::Array::New(env, schema.arguments().size());
  for (size_t i = 0; i < schema.arguments().size(); i++) {
    const c10::Argument& a = schema.arguments()[i];
    entry.args.push_back(specOf(a));
    Napi::Object o = Napi::Object::New(env);
    o["name"] = a.name();
    o["type"] = a.type()->str();
    o["hasDefault"] = a.default_value().has_value();
    o["supported"] = entry.args.back().kind != ArgKind::Unsupported;
    args[i] = o;
  }
  for (const c10::Argument& r : schema.returns()) {
    entry.returnsWrittenInput.push_back(r.alias_info() && r.alias_info()->isWrite());
  }
  size_t id;
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    id = registry.size();
    registry.push_back(std::move(entry));
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
  torch::jit::Stack stack;
  stack.reserve(std::max(op.args.size(), op.returnsWrittenInput.size()));
  napi_value undefined = env.Undefined();
  for (size_t i = 0; i < op.args.size(); i++) {
    stack.push_back(toIValue(env, i < given ? static_cast<napi_value>(info[i + 1]) : undefined,
                             op.args[i], op.name));
  }
  op.handle.callBoxed(&stack);

  size_t n = stack.size();
  if (n == 0) return env.Undefined();
  if (n == 1) {
    return op.returnsWrittenInput[0] ? env.Undefined() : fromIValue(env, std::move(stack[0]));
  }
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    out[i] = op.returnsWrittenInput[i] ? env.Undefined() : fromIValue(env, std::move(stack[i]));
  }
  return out;
}

}  // namespace torchnode
