#include "trace.h"

#include <ATen/core/List.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <string>

#include "dispatch.h"
#include "errors.h"
#include "handle.h"
#include "state.h"
#include "trace_fuse.h"

namespace torchnode {

namespace {

const Handle* handleOf(Napi::Env env, napi_value v) {
  return handleFrom(env, v);
}

// Every tensor in an output, in the order fromIValue wraps them.
void flatten(const c10::IValue& v, std::vector<at::Tensor>& out) {
  if (v.isTensor()) {
    out.push_back(v.toTensor());
  } else if (v.isTensorList()) {
    for (const at::Tensor& t : v.toTensorList()) out.push_back(t);
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten(e, out);
  }
}

Trace& traceOf(const Napi::CallbackInfo& info, size_t i) {
  return *traceArg(info, i);
}

class ReplayWorker : public Napi::AsyncWorker {
 public:
  ReplayWorker(Napi::Env env, std::shared_ptr<Trace> trace, at::Tensor input)
      : Napi::AsyncWorker(env), trace_(std::move(trace)), input_(std::move(input)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = replay(*trace_, input_);
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
    input_ = at::Tensor();
  }
  void OnOK() override { deferred_.Resolve(wrapTensor(Env(), std::move(result_))); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(torchError(Env(), e.Message()).Value()); }

 private:
  std::shared_ptr<Trace> trace_;
  at::Tensor input_, result_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

std::shared_ptr<Trace> traceArg(const Napi::CallbackInfo& info, size_t i) {
  const std::shared_ptr<Trace>& t = *info[i].As<Napi::External<std::shared_ptr<Trace>>>().Data();
  if (!t) throw torchError(info.Env(), "this inference trace was released");
  return t;
}

Recorder::Recorder(const Handle* input) {
  slotOf_[input] = trace_->inputSlot = trace_->numSlots++;
}

int Recorder::slotOf(const Handle* h) const {
  auto it = slotOf_.find(h);
  return it == slotOf_.end() ? -1 : it->second;
}

void Recorder::recordCall(Napi::Env env, const OpEntry& op, const Napi::CallbackInfo& info,
                          const torch::jit::Stack& args) {
  TraceStep step{&op, {}, {}, {}};
  for (size_t i = 0; i < args.size(); i++) {
    TraceArg arg{args[i], -1, {}};
    napi_value v = i + 1 < info.Length() ? static_cast<napi_value>(info[i + 1]) : nullptr;
    ArgKind kind = op.args[i].kind;
    if (v && kind == ArgKind::Tensor) {
      arg.slot = slotOf(handleOf(env, v));
      if (arg.slot >= 0) arg.constant = c10::IValue();  // never hold an input-derived tensor
    } else if (v && (kind == ArgKind::TensorList || kind == ArgKind::OptionalTensorList)) {
      Napi::Array list = Napi::Value(env, v).As<Napi::Array>();
      bool any = false;
      for (uint32_t k = 0; k < list.Length(); k++) {
        arg.listSlots.push_back(slotOf(handleOf(env, list.Get(k))));
        any = any || arg.listSlots.back() >= 0;
      }
      if (!any) arg.listSlots.clear();
    }
    step.args.push_back(std::move(arg));
  }
  trace_->steps.push_back(std::move(step));
  created_.clear();
  inCall_ = true;
}

void Recorder::recordOutputs() {
  inCall_ = false;
  TraceStep& step = trace_->steps.back();
  for (const Handle* h : created_) {
    int slot = -1;
    if (h) slotOf_[h] = slot = trace_->numSlots++;
    step.outputSlots.push_back(slot);
  }
  created_.clear();
}

std::shared_ptr<Trace> Recorder::finish(Napi::Env env, const Handle* output) {
  Trace& t = *trace_;
  t.outputSlot = slotOf(output);
  if (t.outputSlot < 0) throw torchError(env, "the traced result was not computed from the traced input");
  computeReleases(t);
  return trace_;
}

// Free each slot after its last use, so a replay holds no more than eager execution would.
void computeReleases(Trace& t) {
  std::vector<int> lastUse(t.numSlots, -1);
  for (size_t s = 0; s < t.steps.size(); s++) {
    t.steps[s].release.clear();
    for (const TraceArg& a : t.steps[s].args) {
      if (a.slot >= 0) lastUse[a.slot] = static_cast<int>(s);
      for (int ls : a.listSlots) if (ls >= 0) lastUse[ls] = static_cast<int>(s);
    }
  }
  for (int slot = 0; slot < t.numSlots; slot++) {
    if (slot != t.outputSlot && lastUse[slot] >= 0) t.steps[lastUse[slot]].release.push_back(slot);
  }
}

namespace {

at::Tensor replaySteps(const Trace& trace, at::Tensor input) {
  if (trace.channelsLastInput && input.dim() == 4) input = input.contiguous(at::MemoryFormat::ChannelsLast);
  if (trace.computeDtype && input.is_floating_point()) input = input.to(*trace.computeDtype);
  std::vector<at::Tensor> slots(trace.numSlots);
  slots[trace.inputSlot] = std::move(input);
  std::vector<at::Tensor> outputs;
  for (size_t index = 0; index < trace.steps.size(); index++) {
    const TraceStep& step = trace.steps[index];
    torch::jit::Stack stack;
    stack.reserve(step.args.size());
    for (const TraceArg& a : step.args) {
      if (a.slot >= 0) {
        stack.emplace_back(slots[a.slot]);
      } else if (!a.listSlots.empty() && a.constant.isTensorList()) {
        c10::List<at::Tensor> list = a.constant.toTensorList().copy();
        for (size_t k = 0; k < a.listSlots.size(); k++) if (a.listSlots[k] >= 0) list.set(k, slots[a.listSlots[k]]);
        stack.emplace_back(std::move(list));
      } else if (!a.listSlots.empty()) {
        auto list = a.constant.toOptionalTensorList().copy();
        for (size_t k = 0; k < a.listSlots.size(); k++) if (a.listSlots[k] >= 0) list.set(k, slots[a.listSlots[k]]);
        stack.emplace_back(std::move(list));
      } else {
        stack.push_back(a.constant);
      }
    }
    if (step.sameLayoutArg >= 0) {
      at::Tensor other = stack[step.sameLayoutArg].toTensor();
      stack[step.sameLayoutArg] = other.contiguous(stack[0].toTensor().suggest_memory_format());
    }
    if (step.packWeight >= 0 && trace.packs) {
      stack[step.packWeight] = trace.packs->weightFor(index, step, stack[0].toTensor(), stack[step.packWeight].toTensor());
    }
    step.op->handle.callBoxed(&stack);
    outputs.clear();
    for (size_t i = 0; i < stack.size(); i++) {
      if (!step.op->returnsWrittenInput[i]) flatten(stack[i], outputs);
    }
    for (size_t k = 0; k < outputs.size() && k < step.outputSlots.size(); k++) {
      if (step.outputSlots[k] >= 0) slots[step.outputSlots[k]] = std::move(outputs[k]);
    }
    for (int s : step.release) slots[s] = at::Tensor();
  }
  return slots[trace.outputSlot];
}

}  // namespace

at::Tensor replay(const Trace& trace, const at::Tensor& input) {
  at::Tensor out;
  if (trace.inferenceMode) {
    {
      c10::InferenceMode guard;
      out = replaySteps(trace, input);
    }
    // an inference tensor could not be changed in place or used by autograd later: hand back a normal one
    out = trace.computeDtype ? out.to(at::kFloat) : out.clone();
  } else {
    c10::AutoGradMode noGrad(false);
    out = replaySteps(trace, input);
    if (trace.computeDtype && out.scalar_type() != at::kFloat) out = out.to(at::kFloat);
  }
  return out.is_contiguous() ? out : out.contiguous();
}

// traceBegin(input): records the ATen calls that follow, until traceEnd or traceAbort.
Napi::Value TraceBegin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonState& s = stateOf(env);
  if (s.recorder) throw torchError(env, "a trace is already being recorded");
  unwrapTensor(env, info[0], "input");
  s.recorder = std::make_shared<Recorder>(handleOf(env, info[0]));
  return env.Undefined();
}

// traceEnd(output) -> trace
Napi::Value TraceEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonState& s = stateOf(env);
  if (!s.recorder) throw torchError(env, "no trace is being recorded");
  std::shared_ptr<Recorder> recorder = std::move(s.recorder);
  unwrapTensor(env, info[0], "output");
  auto* trace = new std::shared_ptr<Trace>(recorder->finish(env, handleOf(env, info[0])));
  return Napi::External<std::shared_ptr<Trace>>::New(env, trace, [](Napi::Env, std::shared_ptr<Trace>* t) { delete t; });
}

Napi::Value TraceAbort(const Napi::CallbackInfo& info) {
  stateOf(info.Env()).recorder.reset();
  return info.Env().Undefined();
}

// traceRun(trace, input) -> Promise<handle>, computed on a worker thread.
Napi::Value TraceRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Trace> trace = traceArg(info, 0);
  auto* worker = new ReplayWorker(env, std::move(trace), unwrapTensor(env, info[1], "input"));
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

// traceRunSync(trace, input) -> handle, computed on this thread.
Napi::Value TraceRunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Trace& trace = traceOf(info, 0);
  at::Tensor input = unwrapTensor(env, info[1], "input");
  try {
    return wrapTensor(env, replay(trace, input));
  } catch (const c10::Error& e) {
    throw torchError(env, e.what_without_backtrace());
  }
}

Napi::Value TraceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Trace& t = traceOf(info, 0);
  Napi::Object out = Napi::Object::New(env);
  out["steps"] = static_cast<double>(t.steps.size());
  out["slots"] = static_cast<double>(t.numSlots);
  Napi::Array ops = Napi::Array::New(env, t.steps.size());
  for (size_t i = 0; i < t.steps.size(); i++) ops[i] = t.steps[i].op->name;
  out["ops"] = ops;
  return out;
}

// traceStamp(trace) -> the sum of its constant tensors' version counters: every in-place change
// (an optimizer step, copy_, loadStateDict) raises it, so a copy made from them knows it is stale.
Napi::Value TraceStamp(const Napi::CallbackInfo& info) {
  const Trace& t = traceOf(info, 0);
  double sum = 0;
  auto add = [&](const at::Tensor& c) { if (c.defined()) sum += static_cast<double>(c._version()); };
  for (const TraceStep& s : t.steps) {
    for (const TraceArg& a : s.args) {
      if (a.constant.isTensor()) add(a.constant.toTensor());
      else if (a.constant.isTensorList()) for (const at::Tensor& c : a.constant.toTensorList()) add(c);
    }
  }
  return Napi::Number::New(info.Env(), sum);
}

// traceRelease(trace): frees its steps and constants now (an in-flight replay keeps its own
// reference), not when the garbage collector gets to the handle.
Napi::Value TraceRelease(const Napi::CallbackInfo& info) {
  info[0].As<Napi::External<std::shared_ptr<Trace>>>().Data()->reset();
  return info.Env().Undefined();
}

// fusedConvolutionsAvailable() -> whether optimised traces can run oneDNN's fused convolutions.
Napi::Value FusedConvolutionsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fusionAvailable());
}

}  // namespace torchnode
