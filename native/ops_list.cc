#include "ops_list.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/function_schema.h>

#include <sstream>
#include <string>

namespace torchnode {

namespace {

std::string printed(const c10::FunctionSchema& schema) {
  std::ostringstream out;
  out << schema;
  return out.str();
}

// The argument a written return aliases (in-place and out= results), or -1.
int aliasOf(const c10::FunctionSchema& schema, const c10::Argument& ret) {
  const c10::AliasInfo* r = ret.alias_info();
  if (r == nullptr || !r->isWrite()) return -1;
  for (size_t i = 0; i < schema.arguments().size(); i++) {
    const c10::AliasInfo* a = schema.arguments()[i].alias_info();
    if (a != nullptr && a->isWrite() && a->beforeSets() == r->beforeSets()) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Napi::Value OpSchemas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::Dispatcher& dispatcher = c10::Dispatcher::singleton();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (const c10::OperatorName& name : dispatcher.getAllOpNames()) {
    // An implementation may be registered before (or without) its definition.
    auto handle = dispatcher.findOp(name);
    if (!handle || !handle->hasSchema()) continue;
    out[n++] = printed(handle->schema());
  }
  return out;
}

Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].As<Napi::String>().Utf8Value();
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) return env.Null();
  const c10::FunctionSchema& schema = handle->schema();
  Napi::Array args = Napi::Array::New(env, schema.arguments().size());
  for (size_t i = 0; i < schema.arguments().size(); i++) {
    const c10::Argument& a = schema.arguments()[i];
    Napi::Object o = Napi::Object::New(env);
    o["name"] = a.name();
    o["type"] = a.real_type()->str();  // ScalarType, not the int it travels as
    o["kwargOnly"] = a.kwarg_only();
    o["hasDefault"] = a.default_value().has_value();
    o["writes"] = a.alias_info() != nullptr && a.alias_info()->isWrite();
    args[i] = o;
  }
  Napi::Array returns = Napi::Array::New(env, schema.returns().size());
  for (size_t i = 0; i < schema.returns().size(); i++) {
    const c10::Argument& r = schema.returns()[i];
    Napi::Object o = Napi::Object::New(env);
    o["name"] = r.name();
    o["type"] = r.real_type()->str();
    o["aliasOf"] = aliasOf(schema, r);
    returns[i] = o;
  }
  Napi::Object out = Napi::Object::New(env);
  out["schema"] = printed(schema);
  out["arguments"] = args;
  out["returns"] = returns;
  return out;
}

}  // namespace torchnode
