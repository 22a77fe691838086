// oneDNN's fused convolutions in an inference trace (libtorch builds that register
// mkldnn::_convolution_pointwise, PyTorch 2.x on CPU): conv2d then relu_ becomes one convolution
// with a relu post-op; conv2d, add_ (the residual), relu_ one convolution with add and relu
// post-ops. Each fused weight is reordered into oneDNN's blocked layout once per input size
// (PackCache) instead of on every call.
#include "trace_fuse.h"

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <string>

#include "dispatch.h"
#include "trace.h"

namespace torchnode {

namespace {

constexpr const char* kPointwise = "mkldnn::_convolution_pointwise";
constexpr const char* kReorder = "mkldnn::_reorder_convolution_weight";

c10::optional<c10::OperatorHandle> findOp(const char* name, const char* overload) {
  return c10::Dispatcher::singleton().findSchema({name, overload});
}

// An OpEntry for a fused step: built here, never registered (JS never calls it); lives until exit.
const OpEntry* entryFor(const char* name, const char* overload) {
  c10::optional<c10::OperatorHandle> h = findOp(name, overload);
  if (!h) return nullptr;
  return new OpEntry(entryOf(*h, std::string(name) + (*overload ? std::string(".") + overload : "")));
}

struct FusedOps {
  const OpEntry* unary = entryFor(kPointwise, "");
  const OpEntry* binary = entryFor(kPointwise, "binary");
  bool reorder = findOp(kReorder, "").has_value();
  bool ok() const { return unary && binary && reorder; }
};

const FusedOps& fusedOps() {
  static const FusedOps ops;
  return ops;
}

bool isOp(const TraceStep& s, const char* name) { return s.op->name == name; }

bool reads(const TraceStep& s, int slot) {
  for (const TraceArg& a : s.args) {
    if (a.slot == slot) return true;
    for (int ls : a.listSlots) if (ls == slot) return true;
  }
  return false;
}

// An in-place (or out=) call writing into `slot`: aten::foo_ or aten::foo_.overload on it.
bool writesInto(const TraceStep& s, int slot) {
  const std::string& n = s.op->name;
  size_t dot = n.find('.');
  std::string base = dot == std::string::npos ? n : n.substr(0, dot);
  return !s.args.empty() && s.args[0].slot == slot && !base.empty() && base.back() == '_';
}

// The next step after `from` that reads `slot`, or -1.
int nextReader(const Trace& t, size_t from, int slot) {
  for (size_t k = from + 1; k < t.steps.size(); k++) if (reads(t.steps[k], slot)) return static_cast<int>(k);
  return -1;
}

bool isOne(const c10::IValue& alpha) {
  return alpha.isNone() || (alpha.isScalar() && alpha.toScalar().equal(1));
}

c10::List<int64_t> pair(const c10::IValue& v) {
  std::vector<int64_t> xs = v.toIntVector();
  if (xs.size() == 1) xs.push_back(xs[0]);
  return c10::List<int64_t>(xs);
}

TraceArg constant(c10::IValue v) { return TraceArg{std::move(v), -1, {}}; }

// An empty Scalar?[] (the post-op's parameters: relu has none).
TraceArg noScalars() { return constant(c10::impl::GenericList(c10::OptionalType::create(c10::NumberType::get()))); }

// A conv2d the fused kernel computes: float32 CPU weight (a constant), input from the trace.
bool fusable(const TraceStep& s) {
  if (!isOp(s, "aten::conv2d") || s.args.size() != 7 || s.args[0].slot < 0 || s.outputSlots.size() != 1) return false;
  const TraceArg& w = s.args[1];
  if (w.slot >= 0 || !w.constant.isTensor()) return false;
  const at::Tensor& wt = w.constant.toTensor();
  if (!wt.defined() || wt.dim() != 4 || !wt.device().is_cpu() || wt.scalar_type() != at::kFloat) return false;
  if (s.args[2].slot >= 0) return false;
  if (s.args[2].constant.isTensor() && s.args[2].constant.toTensor().scalar_type() != at::kFloat) return false;
  for (int i = 3; i < 6; i++) if (!s.args[i].constant.isIntList()) return false;
  size_t n = s.args[4].constant.toIntVector().size();
  return (n == 1 || n == 2) && s.args[6].constant.isInt();
}

}  // namespace

bool fusionAvailable() {
  return at::hasMKLDNN() && fusedOps().ok();
}

int fuseConvolutions(Trace& t) {
  if (!fusionAvailable() || t.computeDtype) return 0;
  const FusedOps& ops = fusedOps();
  std::vector<bool> drop(t.steps.size(), false);
  int fused = 0;
  for (size_t i = 0; i < t.steps.size(); i++) {
    if (drop[i] || !fusable(t.steps[i])) continue;
    TraceStep& conv = t.steps[i];
    int x = conv.args[0].slot, y = conv.outputSlots[0];
    if (y < 0) continue;
    // the convolution's arguments, in the fused schema's order (after X, and `other` for binary)
    std::vector<TraceArg> tail{conv.args[1], conv.args[2], constant(pair(conv.args[4].constant)),
                               constant(pair(conv.args[3].constant)), constant(pair(conv.args[5].constant)), conv.args[6]};
    auto unary = [&](const char* attr) {
      TraceStep f{ops.unary, {conv.args[0]}, {y}, {}};
      f.args.insert(f.args.end(), tail.begin(), tail.end());
      f.args.push_back(constant(std::string(attr)));
      f.args.push_back(noScalars());
      f.args.push_back(constant(c10::IValue()));
      f.packWeight = 1;
      conv = std::move(f);
      fused++;
    };
    int j = y == t.outputSlot ? -1 : nextReader(t, i, y);
    if (j < 0) {
      unary("none");  // alone, it still gains the reordered weight
      continue;
    }
    TraceStep& next = t.steps[j];
    if (isOp(next, "aten::relu_") && next.args[0].slot == y) {
      unary("relu");
      drop[j] = true;
      continue;
    }
    // y.add_(z) with alpha 1, z computed by then, x and z untouched between the conv and the add
    bool residual = isOp(next, "aten::add_.Tensor") && next.args.size() == 3 && next.args[0].slot == y;
    int z = residual ? next.args[1].slot : -1;
    residual = residual && z >= 0 && z != y && next.args[2].slot < 0 && isOne(next.args[2].constant);
    for (int k = static_cast<int>(i) + 1; residual && k < j; k++) {
      residual = !writesInto(t.steps[k], x) && !writesInto(t.steps[k], z);
    }
    if (!residual) {
      unary("none");
      continue;
    }
    int r = nextReader(t, j, y);
    bool relu = r >= 0 && isOp(t.steps[r], "aten::relu_") && t.steps[r].args[0].slot == y;
    TraceStep f{ops.binary, {conv.args[0], next.args[1]}, {y}, {}};
    f.args.insert(f.args.end(), tail.begin(), tail.end());
    f.args.push_back(constant(std::string("add")));
    f.args.push_back(constant(at::Scalar(1.0)));
    f.args.push_back(relu ? constant(std::string("relu")) : constant(c10::IValue()));
    f.args.push_back(noScalars());
    f.args.push_back(constant(c10::IValue()));
    f.packWeight = 2;
    f.sameLayoutArg = 1;
    next = std::move(f);  // at the add's place: z exists there
    drop[i] = true;
    if (relu) drop[r] = true;
    fused++;
  }
  std::vector<TraceStep> kept;
  for (size_t i = 0; i < t.steps.size(); i++) if (!drop[i]) kept.push_back(std::move(t.steps[i]));
  t.steps = std::move(kept);
  // four input sizes a step (batch sizes, usually) keep their reordered weights
  if (fused > 0) t.packs = std::make_shared<PackCache>(4 * static_cast<size_t>(fused));
  return fused;
}

at::Tensor PackCache::weightFor(size_t step, const TraceStep& s, const at::Tensor& x, const at::Tensor& w) {
  Key key{step, x.sizes().vec()};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = packed_.find(key);
    if (it != packed_.end()) return it->second;
    if (packed_.size() >= maxEntries_) return w;  // many input sizes: the plain weight, reordered per call
  }
  // padding, stride, dilation, groups follow the weight and bias in both fused schemas
  size_t p = s.packWeight + 2;
  torch::jit::Stack stack{w, s.args[p].constant, s.args[p + 1].constant, s.args[p + 2].constant, s.args[p + 3].constant,
                          c10::IValue(x.sizes().vec())};
  static const c10::OperatorHandle reorder = *findOp(kReorder, "");
  reorder.callBoxed(&stack);
  at::Tensor packedWeight = stack[0].toTensor();
  std::lock_guard<std::mutex> lock(mutex_);
  return packed_.emplace(std::move(key), packedWeight).first->second;
}

}  // namespace torchnode
