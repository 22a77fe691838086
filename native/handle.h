// Tensor handles: each JS tensor owns one reference to a libtorch tensor through a handle id, a
// plain JS number naming a slot in its environment's handle table. Numbers cost V8 nothing to
// make or collect (a napi External carries a weak global reference per tensor). Handles are
// freed by an explicit dispose() from JS (the finalizer lives in TypeScript), or all at once
// when their environment exits.
#pragma once

#include <ATen/core/Tensor.h>
#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace torchnode {

struct Handle {
  at::Tensor tensor;
  int64_t reportedBytes = 0;  // host bytes this handle counts in AddonState::hostBytes
  uint32_t slot = 0;
  uint16_t generation = 0;    // changes when the slot is freed: a stale id no longer matches
  bool live = false;
};

// One environment's handles by slot, in fixed-size chunks so that a Handle never moves; freed
// slots are reused, most recent first, until their generation has run through all its values: then
// the slot is retired, so no id ever names two tensors (one slot, ~48 bytes, per 65,536 frees).
class HandleTable {
 public:
  static constexpr uint32_t kChunkBits = 10;
  uint64_t size() const { return static_cast<uint64_t>(chunks_.size()) << kChunkBits; }
  Handle& operator[](uint64_t slot) { return chunks_[slot >> kChunkBits][slot & ((1u << kChunkBits) - 1)]; }
  Handle& take();
  void release(Handle& h) {
    if (h.generation != 0) free_.push_back(h.slot);
  }
  void clear();

 private:
  std::vector<std::unique_ptr<Handle[]>> chunks_;
  std::vector<uint32_t> free_;
};

// A new handle for `t` as a JS number; undefined for an undefined tensor.
Napi::Value wrapTensor(Napi::Env env, at::Tensor t);

// The live handle a JS value names, or nullptr.
Handle* handleFrom(Napi::Env env, napi_value v);

// The tensor behind a handle; a TypeError naming `what` if `v` is not a live handle.
at::Tensor& unwrapTensor(Napi::Env env, napi_value v, const char* what);

// Frees a handle (the JS side guarantees it is called once).
void freeHandle(Napi::Env env, Handle* h);

// Frees every handle still alive in this environment (environment cleanup).
void freeAllHandles(Napi::Env env);

}  // namespace torchnode
