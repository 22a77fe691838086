// DistributedDataParallel's reducer: gradient hooks fill flat buckets during backward and launch
// each bucket's allreduce as soon as it is full, so communication overlaps the rest of backward.
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include "distributed.h"
#include "errors.h"
#include "handle.h"

namespace torchnode {

namespace {

struct Bucket {
  std::vector<size_t> members;  // parameter indices, in the order their slices lie in `flat`
  std::vector<int64_t> offsets;
  at::Tensor flat;
  size_t pending = 0;  // members whose gradient has not arrived in this backward
};

struct Reducer {
  std::shared_ptr<Group> group;
  std::vector<at::Tensor> params;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf, slotOf;
  std::vector<char> ready;
  std::vector<unsigned> hooks;
  std::vector<WorkPtr> works;
  size_t nextLaunch = 0;
  int launchedInBackward = 0;
  bool enabled = true;
  bool overlap = true;
  std::mutex mu;

  ~Reducer() {
    for (size_t i = 0; i < hooks.size(); i++) params[i].remove_hook(hooks[i]);
  }

  at::Tensor slice(size_t i) {
    Bucket& b = buckets[bucketOf[i]];
    return b.flat.narrow(0, b.offsets[slotOf[i]], params[i].numel()).view(params[i].sizes());
  }

  // What the parameter's gradient will hold after accumulation: the earlier sum plus this backward's.
  void fill(size_t i, const at::Tensor* grad) {
    at::Tensor s = slice(i);
    const at::Tensor& acc = params[i].grad();
    if (grad) {
      s.copy_(*grad);
      if (acc.defined()) s.add_(acc);
    } else if (acc.defined()) {
      s.copy_(acc);
    } else {
      s.zero_();
    }
    ready[i] = 1;
    buckets[bucketOf[i]].pending--;
  }

  // Buckets start in index order on every rank: Gloo pairs collectives by their order.
  void launchReady(bool all) {
    while (nextLaunch < buckets.size() && (all || buckets[nextLaunch].pending == 0)) {
      Bucket& b = buckets[nextLaunch++];
      for (size_t i : b.members) if (!ready[i]) fill(i, nullptr);
      {
        std::lock_guard<std::mutex> lock(group->mu);
        if (!group->pg) throw std::runtime_error("the process group has been destroyed");
        if (!group->failure.empty()) throw std::runtime_error(group->failure);
      }
      b.flat.div_(group->size);  // every rank adds its share of the average
      std::vector<at::Tensor> ts{b.flat};
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::SUM;
      works.push_back(group->pg->allreduce(ts, o));
      if (!all) launchedInBackward++;
    }
  }

  void onGrad(size_t i, const at::Tensor& grad) {
    std::lock_guard<std::mutex> lock(mu);
    if (!enabled) return;
    if (ready[i]) {
      throw std::runtime_error("DistributedDataParallel: a second backward() ran before syncGradients(); await "
                               "syncGradients() after each backward, or accumulate inside noSync()");
    }
    fill(i, &grad);
    if (overlap) launchReady(false);
  }

  void reset() {
    std::fill(ready.begin(), ready.end(), 0);
    for (Bucket& b : buckets) b.pending = b.members.size();
    nextLaunch = 0;
    launchedInBackward = 0;
    works.clear();
  }
};

using ReducerPtr = std::shared_ptr<Reducer>;

ReducerPtr& reducerArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsExternal()) throwTypeError(info.Env(), "Expected a DistributedDataParallel reducer handle");
  ReducerPtr& r = *info[i].As<Napi::External<ReducerPtr>>().Data();
  if (!r) throw torchError(info.Env(), "the DistributedDataParallel wrapper has been released");
  return r;
}

}  // namespace

// ddpReducer(group, params, buckets: number[][], overlap) -> reducer handle; hooks every parameter.
Napi::Value DdpReducer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto r = std::make_shared<Reducer>();
  r->group = groupArg(info, 0);
  checkUsable(env, *r->group);
  Napi::Array params = info[1].As<Napi::Array>();
  Napi::Array buckets = info[2].As<Napi::Array>();
  r->overlap = info[3].As<Napi::Boolean>();
  for (uint32_t i = 0; i < params.Length(); i++) r->params.push_back(unwrapTensor(env, params.Get(i), "parameter"));
  r->bucketOf.assign(r->params.size(), 0);
  r->slotOf.assign(r->params.size(), 0);
  r->ready.assign(r->params.size(), 0);
  for (uint32_t b = 0; b < buckets.Length(); b++) {
    Napi::Array members = buckets.Get(b).As<Napi::Array>();
    Bucket bucket;
    int64_t total = 0;
    for (uint32_t k = 0; k < members.Length(); k++) {
      size_t i = members.Get(k).As<Napi::Number>().Uint32Value();
      r->bucketOf[i] = b;
      r->slotOf[i] = k;
      bucket.members.push_back(i);
      bucket.offsets.push_back(total);
      total += r->params[i].numel();
    }
    bucket.flat = at::zeros({total}, r->params[bucket.members.at(0)].options().requires_grad(false));
    bucket.pending = bucket.members.size();
    r->buckets.push_back(std::move(bucket));
  }
  std::weak_ptr<Reducer> weak = r;
  for (size_t i = 0; i < r->params.size(); i++) {
    r->hooks.push_back(r->params[i].register_hook([weak, i](const at::Tensor& grad) {
      if (auto self = weak.lock()) self->onGrad(i, grad);
    }));
  }
  return Napi::External<ReducerPtr>::New(env, new ReducerPtr(std::move(r)), [](Napi::Env, ReducerPtr* p) { delete p; });
}

// ddpSetEnabled(reducer, enabled): off inside noSync(), where gradients only accumulate.
Napi::Value DdpSetEnabled(const Napi::CallbackInfo& info) {
  ReducerPtr& r = reducerArg(info, 0);
  std::lock_guard<std::mutex> lock(r->mu);
  r->enabled = info[1].As<Napi::Boolean>();
  return info.Env().Undefined();
}

// ddpFinish(reducer) -> Promise<number>: launches what backward left, waits off the JS thread,
// writes the averages into .grad; resolves with how many buckets started during backward.
Napi::Value DdpFinish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReducerPtr r = reducerArg(info, 0);
  std::vector<WorkPtr> works;
  int early = 0;
  {
    std::lock_guard<std::mutex> lock(r->mu);
    try {
      r->launchReady(true);
    } catch (...) {
      r->reset();
      throw;
    }
    works = r->works;
    early = r->launchedInBackward;
    r->works.clear();
  }
  auto after = [r]() {
    for (size_t i = 0; i < r->params.size(); i++) {
      at::Tensor avg = r->slice(i);
      at::Tensor& g = r->params[i].mutable_grad();
      if (g.defined()) g.copy_(avg);
      else g = avg.clone();
    }
    std::lock_guard<std::mutex> lock(r->mu);
    r->reset();
  };
  auto* w = new CollectiveWorker(env, r->group, "DistributedDataParallel gradient allReduce", std::move(works), after,
                                 [early](Napi::Env env) { return Napi::Number::New(env, early); });
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// ddpRelease(reducer): removes the hooks now (the finalizer is the backstop).
Napi::Value DdpRelease(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throwTypeError(info.Env(), "Expected a DistributedDataParallel reducer handle");
  info[0].As<Napi::External<ReducerPtr>>().Data()->reset();
  return info.Env().Undefined();
}

}  // namespace torchnode
