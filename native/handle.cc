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

}  // namespace

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  AddonState& s = stateOf(env);
  if (!t.defined()) {
    if (s.recorder) s.recorder->onCreated(nullptr);
    return env.Undefined();
  }
  auto* h = new Handle{std::move(t)};
  h->reportedBytes = hostBytesOf(h->tensor);
  h->next = s.first;
  if (s.first) s.first->prev = h;
  s.first = h;
  s.liveTensors++;
  if (h->reportedBytes) account(env, s, h->reportedBytes);
  if (s.recorder) s.recorder->onCreated(h);
  napi_value ext;
  napi_status status = napi_create_external(env, h, nullptr, nullptr, &ext);
  if (status != napi_ok) {
    freeHandle(env, h);
    NAPI_THROW_IF_FAILED(env, status, env.Undefined());
  }
  return Napi::Value(env, ext);
}

at::Tensor& unwrapTensor(Napi::Env env, napi_value v, const char* what) {
  napi_valuetype type;
  void* data = nullptr;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) {
    throwTypeError(env, std::string("Expected a Tensor for ") + what);
  }
  return static_cast<Handle*>(data)->tensor;
}

void freeHandle(Napi::Env env, Handle* h) {
  AddonState& s = stateOf(env);
  if (s.recorder) s.recorder->onFreed(h);
  if (h->prev) h->prev->next = h->next; else s.first = h->next;
  if (h->next) h->next->prev = h->prev;
  s.liveTensors--;
  if (h->reportedBytes) account(env, s, -h->reportedBytes);
  delete h;
}

void freeAllHandles(Napi::Env env) {
  AddonState& s = stateOf(env);
  s.recorder.reset();
  while (s.first) {
    Handle* h = s.first;
    s.first = h->next;
    delete h;
  }
  s.liveTensors = 0;
  s.hostBytes = 0;
}

}  // namespace torchnode
