// Traces: the ATen calls of one forward pass, recorded as they run, then replayed on a worker
// thread for other inputs of the same shape, so inference does not block the JS thread.
// Tensors the pass did not derive from its input (weights, buffers) are captured by reference:
// a replay sees their current values.
#pragma once

#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>
#include <napi.h>

#include <memory>
#include <unordered_map>
#include <vector>

namespace torchnode {

struct Handle;
struct OpEntry;

struct TraceArg {
  c10::IValue constant;          // the value itself, or the list whose elements `slots` replace
  int slot = -1;                 // a tensor computed earlier in the trace
  std::vector<int> listSlots;    // per list element: a slot, or -1 to keep the constant's
};

struct TraceStep {
  const OpEntry* op;
  std::vector<TraceArg> args;
  std::vector<int> outputSlots;  // per tensor in the outputs, in order; -1 if JS never saw it
  std::vector<int> release;      // slots not needed after this step
  int packWeight = -1;           // fused convolutions: the weight argument, reordered per input size
  int sameLayoutArg = -1;        // a tensor argument given the memory format of argument 0
};

class PackCache;

struct Trace {
  std::vector<TraceStep> steps;
  int inputSlot = 0;
  int outputSlot = -1;
  int numSlots = 0;
  // set by optimizeTrace: how a replay prepares its input and runs
  bool channelsLastInput = false;
  c10::optional<at::ScalarType> computeDtype;  // input cast to it, the result cast back
  bool inferenceMode = false;
  std::shared_ptr<PackCache> packs;  // set by fuseConvolutions
};

// Frees each slot after its last use (sets every step's `release`).
void computeReleases(Trace& t);

class Recorder {
 public:
  explicit Recorder(const Handle* input);
  void recordCall(Napi::Env env, const OpEntry& op, const Napi::CallbackInfo& info, const torch::jit::Stack& args);
  void recordOutputs();
  void onCreated(const Handle* h) { if (inCall_) created_.push_back(h); }
  void onFreed(const Handle* h) { slotOf_.erase(h); }
  std::shared_ptr<Trace> finish(Napi::Env env, const Handle* output);

 private:
  int slotOf(const Handle* h) const;
  std::shared_ptr<Trace> trace_ = std::make_shared<Trace>();
  std::unordered_map<const Handle*, int> slotOf_;
  std::vector<const Handle*> created_;
  bool inCall_ = false;
};

// Runs a trace on `input`; the result is the tensor the traced pass returned.
at::Tensor replay(const Trace& trace, const at::Tensor& input);

Napi::Value TraceBegin(const Napi::CallbackInfo& info);
Napi::Value TraceEnd(const Napi::CallbackInfo& info);
Napi::Value TraceAbort(const Napi::CallbackInfo& info);
Napi::Value TraceRun(const Napi::CallbackInfo& info);
Napi::Value TraceInfo(const Napi::CallbackInfo& info);
Napi::Value TraceOptimize(const Napi::CallbackInfo& info);
Napi::Value TraceRunSync(const Napi::CallbackInfo& info);
Napi::Value TraceStamp(const Napi::CallbackInfo& info);
Napi::Value TraceRelease(const Napi::CallbackInfo& info);
Napi::Value FusedConvolutionsAvailable(const Napi::CallbackInfo& info);

// The trace argument i; a TorchError once it was released.
std::shared_ptr<Trace> traceArg(const Napi::CallbackInfo& info, size_t i);

}  // namespace torchnode
