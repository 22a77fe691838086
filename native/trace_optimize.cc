// An inference copy of a recorded trace: batch norms folded into the convolutions before them,
// convolution weights in channels-last order, constants in the compute dtype. The original trace
// (and the module's tensors) stay untouched: changed constants are new tensors.
#include <ATen/ATen.h>

#include <string>

#include "errors.h"
#include "trace.h"
#include "trace_fuse.h"
#include "dispatch.h"

namespace torchnode {

namespace {

bool isOp(const TraceStep& s, const char* name) { return s.op->name == name; }

const at::Tensor* constantTensor(const TraceArg& a) {
  return a.slot < 0 && a.listSlots.empty() && a.constant.isTensor() ? &a.constant.toTensor() : nullptr;
}

// How many times each slot is read (the result counts as a read).
std::vector<int> readsOf(const Trace& t) {
  std::vector<int> reads(t.numSlots, 0);
  for (const TraceStep& s : t.steps) {
    for (const TraceArg& a : s.args) {
      if (a.slot >= 0) reads[a.slot]++;
      for (int ls : a.listSlots) if (ls >= 0) reads[ls]++;
    }
  }
  if (t.outputSlot >= 0) reads[t.outputSlot]++;
  return reads;
}

// conv2d(x, W, b, ...) then batch_norm(that, gamma, beta, mean, var, training=false, _, eps, _):
// one conv2d with W * s and (b - mean) * s + beta, s = gamma / sqrt(var + eps). Returns how many.
int foldBatchNorms(Trace& t) {
  std::vector<int> reads = readsOf(t);
  std::vector<int> producer(t.numSlots, -1);
  for (size_t i = 0; i < t.steps.size(); i++) for (int o : t.steps[i].outputSlots) if (o >= 0) producer[o] = static_cast<int>(i);
  std::vector<bool> drop(t.steps.size(), false);
  int folded = 0;
  for (size_t j = 0; j < t.steps.size(); j++) {
    TraceStep& bn = t.steps[j];
    if (!isOp(bn, "aten::batch_norm") || bn.args.size() < 8 || bn.args[0].slot < 0) continue;
    int y = bn.args[0].slot;
    if (reads[y] != 1 || producer[y] < 0 || bn.outputSlots.empty() || bn.outputSlots[0] < 0) continue;
    TraceStep& conv = t.steps[producer[y]];
    if (!isOp(conv, "aten::conv2d") || conv.outputSlots.size() != 1) continue;
    if (!bn.args[5].constant.isBool() || bn.args[5].constant.toBool()) continue;  // training mode: batch statistics
    const at::Tensor* w = constantTensor(conv.args[1]);
    const at::Tensor* mean = constantTensor(bn.args[3]);
    const at::Tensor* var = constantTensor(bn.args[4]);
    if (!w || !mean || !var || !w->is_floating_point()) continue;
    const at::Tensor* b = constantTensor(conv.args[2]);
    const at::Tensor* gamma = constantTensor(bn.args[1]);
    const at::Tensor* beta = constantTensor(bn.args[2]);
    if ((conv.args[2].slot >= 0) || (bn.args[1].slot >= 0) || (bn.args[2].slot >= 0)) continue;
    double eps = bn.args[7].constant.toDouble();
    // in float64, then back to the weight's dtype: the fold adds one rounding, not several
    at::Tensor scale = var->to(at::kDouble).add(eps).rsqrt();
    if (gamma) scale = scale.mul(gamma->to(at::kDouble));
    at::Tensor bias = (b ? b->to(at::kDouble) : at::zeros_like(scale)).sub(mean->to(at::kDouble)).mul(scale);
    if (beta) bias = bias.add(beta->to(at::kDouble));
    std::vector<int64_t> shape(w->dim(), 1);
    shape[0] = -1;
    conv.args[1].constant = w->to(at::kDouble).mul(scale.view(shape)).to(w->scalar_type());
    conv.args[2].constant = bias.to(w->scalar_type());
    conv.outputSlots[0] = bn.outputSlots[0];  // the conv now writes what the batch norm did
    drop[j] = true;
    folded++;
  }
  std::vector<TraceStep> kept;
  for (size_t i = 0; i < t.steps.size(); i++) if (!drop[i]) kept.push_back(std::move(t.steps[i]));
  t.steps = std::move(kept);
  return folded;
}

// Every floating tensor constant (lists included) converted by `f`.
template <class F>
void mapConstants(Trace& t, F f) {
  for (TraceStep& s : t.steps) {
    for (TraceArg& a : s.args) {
      if (a.constant.isTensor()) {
        const at::Tensor& c = a.constant.toTensor();
        if (c.defined() && c.is_floating_point()) a.constant = f(s, c);
      } else if (a.constant.isTensorList()) {
        c10::List<at::Tensor> list = a.constant.toTensorList().copy();
        for (size_t k = 0; k < list.size(); k++) {
          at::Tensor c = list.get(k);
          if (c.defined() && c.is_floating_point()) list.set(k, f(s, c));
        }
        a.constant = std::move(list);
      }
    }
  }
}

}  // namespace

// traceOptimize(trace, {foldBatchNorm, channelsLast, dtype: 'float32'|'bfloat16', inferenceMode, fuse})
//   -> {trace, foldedBatchNorms, fusedConvolutions}
Napi::Value TraceOptimize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Trace& source = *traceArg(info, 0);
  Napi::Object o = info[1].As<Napi::Object>();
  auto t = std::make_shared<Trace>(source);
  int folded = 0, fused = 0;
  try {
    if (o.Get("foldBatchNorm").ToBoolean()) folded = foldBatchNorms(*t);
    bool channelsLast = o.Get("channelsLast").ToBoolean();
    std::string dtype = o.Get("dtype").As<Napi::String>();
    if (dtype == "bfloat16") t->computeDtype = at::kBFloat16;
    if (channelsLast || t->computeDtype) {
      mapConstants(*t, [&](const TraceStep& s, const at::Tensor& c) {
        at::Tensor out = t->computeDtype ? c.to(*t->computeDtype) : c;
        // convolution weights in the layout oneDNN computes in: no reorder per call
        if (channelsLast && c.dim() == 4 && isOp(s, "aten::conv2d")) out = out.contiguous(at::MemoryFormat::ChannelsLast);
        return out;
      });
      t->channelsLastInput = channelsLast;
    }
    t->inferenceMode = o.Get("inferenceMode").ToBoolean();
    if (o.Get("fuse").ToBoolean()) fused = fuseConvolutions(*t);
    computeReleases(*t);
  } catch (const c10::Error& e) {
    throw torchError(env, e.what_without_backtrace());
  }
  Napi::Object out = Napi::Object::New(env);
  out["trace"] = Napi::External<std::shared_ptr<Trace>>::New(env, new std::shared_ptr<Trace>(t), [](Napi::Env, std::shared_ptr<Trace>* p) { delete p; });
  out["foldedBatchNorms"] = folded;
  out["fusedConvolutions"] = fused;
  return out;
}

}  // namespace torchnode
