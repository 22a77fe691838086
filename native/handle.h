// Tensor handles: each JS tensor owns one reference to a libtorch tensor through an External.
// Handles are freed by an explicit dispose() from JS (the finalizer lives in TypeScript), or
// all at once when their environment exits.
#pragma once

#include <ATen/core/Tensor.h>
#include <napi.h>

namespace torchnode {

struct Handle {
  at::Tensor tensor;
  int64_t reportedBytes = 0;  // host bytes this handle counts in AddonState::hostBytes
  Handle* prev = nullptr;
  Handle* next = nullptr;
};

// A new handle for `t` as a JS External; undefined for an undefined tensor.
Napi::Value wrapTensor(Napi::Env env, at::Tensor t);

// The tensor behind a handle; a TypeError naming `what` if `v` is not a handle.
at::Tensor& unwrapTensor(Napi::Env env, napi_value v, const char* what);

// Frees a handle (the JS side guarantees it is called once).
void freeHandle(Napi::Env env, Handle* h);

// Frees every handle still alive in this environment (environment cleanup).
void freeAllHandles(Napi::Env env);

}  // namespace torchnode
