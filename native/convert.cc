#include "convert.h"

#include <ATen/core/List.h>
#include <c10/core/Device.h>
#include <c10/util/Optional.h>
#include <c10/util/SmallVector.h>

#include <cmath>
#include <vector>

#include "errors.h"
#include "generator.h"
#include "handle.h"

namespace torchnode {

namespace {

ArgKind kindOfList(const c10::TypePtr& elem) {
  switch (elem->kind()) {
    case c10::TypeKind::TensorType: return ArgKind::TensorList;
    case c10::TypeKind::OptionalType:
      return elem->expectRef<c10::OptionalType>().getElementType()->kind() ==
                     c10::TypeKind::TensorType
                 ? ArgKind::OptionalTensorList
                 : ArgKind::Unsupported;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return ArgKind::IntList;
    case c10::TypeKind::FloatType: return ArgKind::FloatList;
    case c10::TypeKind::BoolType: return ArgKind::BoolList;
    default: return ArgKind::Unsupported;
  }
}

ArgKind kindOf(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return ArgKind::Tensor;
    // dtype, layout and memory format travel as their enum's integer value.
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType: return ArgKind::Int;
    case c10::TypeKind::FloatType: return ArgKind::Float;
    case c10::TypeKind::NumberType: return ArgKind::Scalar;
    case c10::TypeKind::BoolType: return ArgKind::Bool;
    case c10::TypeKind::StringType: return ArgKind::String;
    case c10::TypeKind::DeviceObjType: return ArgKind::Device;
    case c10::TypeKind::GeneratorType: return ArgKind::Generator;
    case c10::TypeKind::ListType:
      return kindOfList(type->expectRef<c10::ListType>().getElementType());
    default: return ArgKind::Unsupported;
  }
}

std::string describe(Napi::Env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: {
      double d;
      napi_get_value_double(env, v, &d);
      Napi::Value n(env, v);
      return "number " + n.ToString().Utf8Value();
    }
    case napi_string: return "string";
    case napi_bigint: return "bigint";
    case napi_object: {
      bool isArray = false;
      napi_is_array(env, v, &isArray);
      return isArray ? "array" : "object";
    }
    default: return "value of another type";
  }
}

[[noreturn]] void badArg(Napi::Env env, napi_value v, const ArgSpec& spec, const std::string& op,
                         const char* expected) {
  throwTypeError(env, op + ": expected " + expected + " for argument '" + spec.name +
                          "' but received " + describe(env, v));
}

bool isType(Napi::Env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

bool asInt(Napi::Env env, napi_value v, int64_t* out) {
  if (!isType(env, v, napi_number)) return false;
  double d;
  napi_get_value_double(env, v, &d);
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool asDouble(Napi::Env env, napi_value v, double* out) {
  if (!isType(env, v, napi_number)) return false;
  napi_get_value_double(env, v, out);
  return true;
}

bool asBool(Napi::Env env, napi_value v, bool* out) {
  if (!isType(env, v, napi_boolean)) return false;
  napi_get_value_bool(env, v, out);
  return true;
}

uint32_t arrayLength(Napi::Env env, napi_value v) {
  bool isArray = false;
  napi_is_array(env, v, &isArray);
  if (!isArray) return UINT32_MAX;
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  return n;
}

napi_value element(Napi::Env env, napi_value arr, uint32_t i) {
  napi_value e;
  napi_get_element(env, arr, i, &e);
  return e;
}

}  // namespace

ArgSpec specOf(const c10::Argument& arg) {
  ArgSpec spec;
  spec.name = arg.name();
  c10::TypePtr type = arg.type();
  spec.optional = type->kind() == c10::TypeKind::OptionalType;
  if (spec.optional) type = type->expectRef<c10::OptionalType>().getElementType();
  spec.kind = kindOf(type);
  spec.fixedSize = arg.N() ? static_cast<int64_t>(*arg.N()) : 0;
  spec.hasDefault = arg.default_value().has_value();
  if (spec.hasDefault) spec.defaultValue = *arg.default_value();
  if (spec.hasDefault && spec.defaultValue.isIntList()) spec.defaultInts = spec.defaultValue.toIntVector();
  return spec;
}

c10::IValue toIValue(Napi::Env env, napi_value v, const ArgSpec& spec, const std::string& op) {
  napi_valuetype vt;
  napi_typeof(env, v, &vt);
  if (vt == napi_undefined && spec.hasDefault) return spec.defaultValue;
  if (vt == napi_undefined || vt == napi_null) {
    if (spec.optional) return c10::IValue();
    throwTypeError(env, op + ": missing required argument '" + spec.name + "'");
  }
  switch (spec.kind) {
    case ArgKind::Tensor: {
      Handle* h = handleFrom(env, v);
      if (h == nullptr) badArg(env, v, spec, op, "a Tensor");
      return h->tensor;
    }
    case ArgKind::TensorList:
    case ArgKind::OptionalTensorList: {
      uint32_t n = arrayLength(env, v);
      if (n == UINT32_MAX) badArg(env, v, spec, op, "an array of Tensors");
      if (spec.kind == ArgKind::TensorList) {
        c10::List<at::Tensor> list;
        list.reserve(n);
        for (uint32_t i = 0; i < n; i++) {
          napi_value e = element(env, v, i);
          Handle* h = handleFrom(env, e);
          if (h == nullptr) badArg(env, e, spec, op, "an array of Tensors");
          list.push_back(h->tensor);
        }
        return list;
      }
      c10::List<c10::optional<at::Tensor>> list;
      list.reserve(n);
      for (uint32_t i = 0; i < n; i++) {
        napi_value e = element(env, v, i);
        napi_valuetype et;
        napi_typeof(env, e, &et);
        if (et == napi_null || et == napi_undefined) {
          list.push_back(c10::nullopt);
        } else {
          Handle* h = handleFrom(env, e);
          if (h == nullptr) badArg(env, e, spec, op, "an array of Tensors or nulls");
          list.push_back(h->tensor);
        }
      }
      return list;
    }
    case ArgKind::Int: {
      int64_t i;
      if (!asInt(env, v, &i)) badArg(env, v, spec, op, "an integer");
      return i;
    }
    case ArgKind::IntList: {
      c10::SmallVector<int64_t, 8> ints;
      int64_t i;
      if (asInt(env, v, &i)) {
        ints.assign(spec.fixedSize > 0 ? spec.fixedSize : 1, i);
      } else {
        uint32_t n = arrayLength(env, v);
        if (n == UINT32_MAX) badArg(env, v, spec, op, "an integer or an array of integers");
        ints.resize(n);
        for (uint32_t k = 0; k < n; k++) {
          napi_value e = element(env, v, k);
          if (!asInt(env, e, &ints[k])) badArg(env, e, spec, op, "an array of integers");
        }
      }
      // stride 1, padding 0...: the schema's own list, shared, costs no allocation
      if (!spec.defaultInts.empty() && c10::IntArrayRef(ints) == c10::IntArrayRef(spec.defaultInts)) return spec.defaultValue;
      c10::List<int64_t> list;
      list.reserve(ints.size());
      for (int64_t x : ints) list.push_back(x);
      return list;
    }
    case ArgKind::Float: {
      double d;
      if (!asDouble(env, v, &d)) badArg(env, v, spec, op, "a number");
      return d;
    }
    case ArgKind::FloatList: {
      double d;
      if (asDouble(env, v, &d)) {
        return std::vector<double>(spec.fixedSize > 0 ? spec.fixedSize : 1, d);
      }
      uint32_t n = arrayLength(env, v);
      if (n == UINT32_MAX) badArg(env, v, spec, op, "a number or an array of numbers");
      std::vector<double> list(n);
      for (uint32_t k = 0; k < n; k++) {
        napi_value e = element(env, v, k);
        if (!asDouble(env, e, &list[k])) badArg(env, e, spec, op, "an array of numbers");
      }
      return list;
    }
    case ArgKind::Scalar: {
      // An integral JS number is an integer Scalar, as a Python int would be.
      int64_t i;
      if (asInt(env, v, &i)) return c10::Scalar(i);
      double d;
      if (asDouble(env, v, &d)) return c10::Scalar(d);
      bool b;
      if (asBool(env, v, &b)) return c10::Scalar(b);
      badArg(env, v, spec, op, "a number or boolean");
    }
    case ArgKind::Bool: {
      bool b;
      if (!asBool(env, v, &b)) badArg(env, v, spec, op, "a boolean");
      return b;
    }
    case ArgKind::BoolList: {
      uint32_t n = arrayLength(env, v);
      if (n == UINT32_MAX) badArg(env, v, spec, op, "an array of booleans");
      c10::List<bool> list;
      for (uint32_t k = 0; k < n; k++) {
        bool b;
        napi_value e = element(env, v, k);
        if (!asBool(env, e, &b)) badArg(env, e, spec, op, "an array of booleans");
        list.push_back(b);
      }
      return list;
    }
    case ArgKind::String:
      if (vt != napi_string) badArg(env, v, spec, op, "a string");
      return Napi::Value(env, v).As<Napi::String>().Utf8Value();
    case ArgKind::Device:
      if (vt != napi_string) badArg(env, v, spec, op, "a device string");
      return c10::Device(Napi::Value(env, v).As<Napi::String>().Utf8Value());
    case ArgKind::Generator: {
      const at::Generator* g = generatorFrom(env, v);
      if (g == nullptr) badArg(env, v, spec, op, "a Generator");
      return *g;
    }
    case ArgKind::Unsupported:
      break;
  }
  throwTypeError(env, op + ": argument '" + spec.name + "' has a type torchnode cannot pass yet");
}

Napi::Value fromIValue(Napi::Env env, c10::IValue&& v) {
  if (v.isTensor()) return wrapTensor(env, std::move(v).toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out[i] = wrapTensor(env, list.get(i));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) out[i] = fromIValue(env, c10::IValue(elems[i]));
    return out;
  }
  if (v.isIntList()) {
    auto list = v.toIntList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out[i] = Napi::Number::New(env, list.get(i));
    return out;
  }
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  throw torchError(env, "torchnode cannot convert a result of type " + v.tagKind());
}

}  // namespace torchnode
