#include "handle.h"

#include <string>

#include "errors.h"
#include "state.h"
#include "trace.h"

namespace torchnode {

namespace {

int64_t hostBytesOf(const at::Tensor& t) {
  if (!t.device().is_cpu()) return 0;
  return static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
}

// V8 hears of external memory in steps of this size: a call per tiny tensor costs more than it tells.
constexpr int64_t kReportStep = 256 * 1024;

void account(Napi::Env env, AddonState& s, int64_t delta) {
  s.hostBytes += delta;
  s.unreportedBytes += delta;
  if (s.unreportedBytes >= kReportStep || s.unreportedBytes <= -kReportStep) {
    Napi::MemoryManagement::AdjustExternalMemory(env, s.unreportedBytes);
    s.unreportedBytes = 0;
  }
}

// id = slot * 65536 + generation: a V8 Smi (no allocation) for the first 32K slots, exact below 2^53.
constexpr int kGenerationBits = 16;

}  // namespace

Handle& HandleTable::take() {
  if (free_.empty()) {
    auto base = static_cast<uint32_t>(size());
    chunks_.emplace_back(new Handle[1u << kChunkBits]);
    // hand out the new chunk's slots from its start
    for (uint32_t i = (1u << kChunkBits); i-- > 0;) {
      (*this)[base + i].slot = base + i;
      free_.push_back(base + i);
    }
  }
  Handle& h = (*this)[free_.back()];
  free_.pop_back();
  return h;
}

void HandleTable::clear() {
  chunks_.clear();
  free_.clear();
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  AddonState& s = stateOf(env);
  if (!t.defined()) {
    if (s.recorder) s.recorder->onCreated(nullptr);
    return env.Undefined();
  }
  Handle& h = s.handles.take();
  h.tensor = std::move(t);
  h.live = true;
  h.reportedBytes = hostBytesOf(h.tensor);
  s.liveTensors++;
  if (h.reportedBytes) account(env, s, h.reportedBytes);
  if (s.recorder) s.recorder->onCreated(&h);
  napi_value id;
  double value = static_cast<double>((static_cast<uint64_t>(h.slot) << kGenerationBits) | h.generation);
  napi_status status = napi_create_double(env, value, &id);
  if (status != napi_ok) {
    freeHandle(env, &h);
    NAPI_THROW_IF_FAILED(env, status, env.Undefined());
  }
  return Napi::Value(env, id);
}

Handle* handleFrom(Napi::Env env, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d < 9007199254740992.0)) return nullptr;
  auto id = static_cast<uint64_t>(d);
  if (static_cast<double>(id) != d) return nullptr;
  HandleTable& table = stateOf(env).handles;
  uint64_t slot = id >> kGenerationBits;
  if (slot >= table.size()) return nullptr;
  Handle& h = table[slot];
  return h.live && h.generation == static_cast<uint16_t>(id) ? &h : nullptr;
}

at::Tensor& unwrapTensor(Napi::Env env, napi_value v, const char* what) {
  Handle* h = handleFrom(env, v);
  if (h == nullptr) throwTypeError(env, std::string("Expected a Tensor for ") + what);
  return h->tensor;
}

void freeHandle(Napi::Env env, Handle* h) {
  AddonState& s = stateOf(env);
  if (s.recorder) s.recorder->onFreed(h);
  s.liveTensors--;
  if (h->reportedBytes) account(env, s, -h->reportedBytes);
  h->reportedBytes = 0;
  h->live = false;
  h->generation++;  // wraps to 0 after 65,536 uses: release() then retires the slot
  s.handles.release(*h);
  h->tensor = at::Tensor();  // libtorch frees the data here if this was the last reference
}

void freeAllHandles(Napi::Env env) {
  AddonState& s = stateOf(env);
  s.recorder.reset();
  s.handles.clear();
  s.liveTensors = 0;
  s.hostBytes = 0;
}

}  // namespace torchnode
