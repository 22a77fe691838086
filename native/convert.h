// JS value <-> IValue conversion, driven by a per-argument table read from an op's schema.
#pragma once

#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>
#include <napi.h>

#include <string>
#include <vector>

namespace torchnode {

enum class ArgKind : uint8_t {
  Tensor, TensorList, OptionalTensorList, Int, IntList, Float, FloatList, Scalar, Bool,
  BoolList, String, Device, Generator, Unsupported
};

struct ArgSpec {
  std::string name;
  ArgKind kind;
  bool optional;       // accepts null/undefined as None
  int64_t fixedSize;   // N of int[N]: a single number is expanded to N copies
  bool hasDefault;
  c10::IValue defaultValue;
  std::vector<int64_t> defaultInts;  // an int[] default, so equal arguments can share defaultValue
};

ArgSpec specOf(const c10::Argument& arg);

// Converts one JS argument; `op` names the operator in error messages.
c10::IValue toIValue(Napi::Env env, napi_value v, const ArgSpec& spec, const std::string& op);

// Converts one output; tensors become new handles.
Napi::Value fromIValue(Napi::Env env, c10::IValue&& v);

}  // namespace torchnode
