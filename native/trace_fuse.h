// oneDNN fused convolutions for inference traces; see trace_fuse.cc.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace torchnode {

struct Trace;
struct TraceStep;

// Whether this libtorch registers oneDNN's fused convolutions (PyTorch 2.x with mkldnn).
bool fusionAvailable();

// Rewrites conv2d + relu_ and conv2d + add_ (+ relu_) into fused convolutions; returns how many.
int fuseConvolutions(Trace& t);

// Fused steps' weights in oneDNN's layout, per (step, input size); shared by concurrent replays.
class PackCache {
 public:
  explicit PackCache(size_t maxEntries) : maxEntries_(maxEntries) {}
  at::Tensor weightFor(size_t step, const TraceStep& s, const at::Tensor& x, const at::Tensor& w);

 private:
  using Key = std::pair<size_t, std::vector<int64_t>>;
  const size_t maxEntries_;
  std::mutex mutex_;
  std::map<Key, at::Tensor> packed_;
};

}  // namespace torchnode
