#include "distributed.h"

#include <ATen/ops/empty_like.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#ifdef TORCHNODE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef TORCHNODE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "compat.h"
#include "errors.h"
#include "handle.h"

namespace torchnode {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

template <class PG>
struct CollectivesOf : Collectives {
  explicit CollectivesOf(c10::intrusive_ptr<PG> p) : pg(std::move(p)) {}
  WorkPtr allreduce(std::vector<at::Tensor>& t, const c10d::AllreduceOptions& o) override { return pg->allreduce(t, o); }
  WorkPtr broadcast(std::vector<at::Tensor>& t, const c10d::BroadcastOptions& o) override { return pg->broadcast(t, o); }
  WorkPtr allgather(std::vector<std::vector<at::Tensor>>& out, std::vector<at::Tensor>& in) override {
    return pg->allgather(out, in, c10d::AllgatherOptions());
  }
  WorkPtr barrier() override { return pg->barrier(c10d::BarrierOptions()); }
  c10::intrusive_ptr<PG> pg;
};

std::string messageOf(const std::exception& e) {
  auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string m = c10 ? c10->what_without_backtrace() : e.what();
  // Gloo prefixes "[/path/file.cc:123] ": the location means nothing to a user
  if (!m.empty() && m[0] == '[') {
    auto end = m.find("] ");
    if (end != std::string::npos) m = m.substr(end + 2);
  }
  auto nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

std::string ranksText(const std::vector<int>& ranks, int size) {
  std::string s = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); i++) s += (i ? ", " : "") + std::to_string(ranks[i]);
  return s + " of " + std::to_string(size);
}

std::string joinKey(int rank) { return "torchnode/join/" + std::to_string(rank); }
std::string aliveKey(int rank) { return "torchnode/alive/" + std::to_string(rank); }

struct InitOptions {
  std::string backend, store, host, path, deviceHost;
  int port = 0, rank = 0, size = 1;
  milliseconds timeout{0};
};

c10::intrusive_ptr<c10d::Store> openStore(const InitOptions& o) {
  if (o.store == "file") return c10::make_intrusive<c10d::FileStore>(o.path, o.size);
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(o.port);
  so.isServer = o.rank == 0;
  so.numWorkers = o.size;
  so.waitWorkers = false;  // the rendezvous below waits, and names who is missing
  so.timeout = o.timeout;
  std::string where = o.host + ":" + std::to_string(o.port);
  try {
    return c10::make_intrusive<c10d::TCPStore>(o.host, so);
  } catch (const std::exception& e) {
    std::string m = messageOf(e);
    if (o.rank == 0 && compat::isAddressInUse(m)) {
      throw std::runtime_error("rank 0 cannot serve the store on " + where + ": the port is already in use (choose another port)");
    }
    if (o.rank == 0) throw std::runtime_error("rank 0 cannot serve the store on " + where + ": " + m);
    throw std::runtime_error("rank " + std::to_string(o.rank) + " cannot reach the store on " + where +
                             " (served by rank 0) within " + std::to_string(o.timeout.count()) + " ms: " + m);
  }
}

// Every rank announces its world size, then waits for all the others, naming the ones missing.
void rendezvous(c10d::Store& store, const InitOptions& o) {
  const std::string abortKey = "torchnode/abort";
  std::string mine = std::to_string(o.size);
  if (store.add(joinKey(o.rank) + "/count", 1) > 1) {
    throw std::runtime_error("rank " + std::to_string(o.rank) + " joined twice: two processes were given the same rank");
  }
  store.set(joinKey(o.rank), std::vector<uint8_t>(mine.begin(), mine.end()));
  auto until = Clock::now() + o.timeout;
  std::vector<bool> seen(o.size, false);
  for (;;) {
    std::vector<int> missing;
    try {
      // another rank found the run inconsistent: fail with its reason
      if (store.check({abortKey})) {
        auto why = store.get(abortKey);
        throw std::invalid_argument(std::string(why.begin(), why.end()));
      }
      for (int r = 0; r < o.size; r++) {
        if (seen[r]) continue;
        if (!store.check({joinKey(r)})) {
          missing.push_back(r);
          continue;
        }
        seen[r] = true;
        auto v = store.get(joinKey(r));
        std::string theirs(v.begin(), v.end());
        if (theirs != mine) {
          // the lower rank first, so every rank words it the same way
          int lo = std::min(o.rank, r), hi = std::max(o.rank, r);
          std::string why = "world size mismatch: rank " + std::to_string(lo) + " has worldSize " + (lo == o.rank ? mine : theirs) +
                            ", rank " + std::to_string(hi) + " has " + (hi == o.rank ? mine : theirs);
          store.set(abortKey, std::vector<uint8_t>(why.begin(), why.end()));
          // rank 0 serves the store: keep it up a moment so the others can read the reason
          if (o.rank == 0) std::this_thread::sleep_for(std::min(o.timeout, milliseconds(500)));
          throw std::invalid_argument(why);
        }
      }
    } catch (const std::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error("rank " + std::to_string(o.rank) + " lost the store (served by rank 0, which may have failed): " +
                               messageOf(e));
    }
    if (missing.empty()) return;
    if (Clock::now() >= until) {
      throw std::runtime_error(ranksText(missing, o.size) + " did not join within " + std::to_string(o.timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

std::unique_ptr<Collectives> openBackend(const c10::intrusive_ptr<c10d::Store>& store, const InitOptions& o) {
  if (o.backend == "gloo") {
#ifdef TORCHNODE_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(o.timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    opts->devices.push_back(ifname && *ifname ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                            : o.deviceHost.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                                   : c10d::ProcessGroupGloo::createDeviceForHostname(o.deviceHost));
    opts->threads = 2;
    return std::make_unique<CollectivesOf<c10d::ProcessGroupGloo>>(
        c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.size, opts));
#else
    throw std::runtime_error("torchnode was built without Gloo: the libtorch it was built against has no Gloo headers "
                             "(gloo/*.h; on Debian: apt-get install libgloo-dev, then npm rebuild torchnode)");
#endif
  }
#ifdef TORCHNODE_NCCL
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = o.timeout;
  return std::make_unique<CollectivesOf<c10d::ProcessGroupNCCL>>(
      c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.size, opts));
#else
  throw std::runtime_error("torchnode was built without NCCL: the libtorch it was built against has none "
                           "(a CUDA build of PyTorch has it); use backend 'gloo'");
#endif
}

class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, InitOptions o)
      : Napi::AsyncWorker(env), o_(std::move(o)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      auto g = std::make_shared<Group>();
      g->rank = o_.rank;
      g->size = o_.size;
      g->timeout = o_.timeout;
      g->store = openStore(o_);
      g->store->setTimeout(o_.timeout);
      rendezvous(*g->store, o_);
      g->pg = openBackend(g->store, o_);
      group_ = std::move(g);
    } catch (const std::exception& e) {
      SetError(messageOf(e));
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto* held = new std::shared_ptr<Group>(std::move(group_));
    deferred_.Resolve(Napi::External<std::shared_ptr<Group>>::New(env, held,
                                                                   [](Napi::Env, std::shared_ptr<Group>* p) { delete p; }));
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(torchError(Env(), "initProcessGroup failed: " + e.Message()).Value());
  }

 private:
  InitOptions o_;
  std::shared_ptr<Group> group_;
  Napi::Promise::Deferred deferred_;
};

c10d::ReduceOp reduceOpOf(Napi::Env env, const std::string& op) {
  if (op == "sum" || op == "avg") return c10d::ReduceOp::SUM;  // avg divides after the sum (Gloo has no AVG)
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  throwTypeError(env, "unknown reduce op '" + op + "'");
}

Napi::Value queue(Napi::Env env, CollectiveWorker* w) {
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

std::shared_ptr<Group> groupArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsExternal()) throwTypeError(info.Env(), "Expected a process group handle");
  return *info[i].As<Napi::External<std::shared_ptr<Group>>>().Data();
}

void checkUsable(Napi::Env env, Group& g) {
  std::lock_guard<std::mutex> lock(g.mu);
  if (!g.pg) throw torchError(env, "the process group has been destroyed");
  if (!g.failure.empty()) throw torchError(env, g.failure);
}

std::string explainFailure(Group& g, const std::string& op, const std::string& what) {
  std::lock_guard<std::mutex> lock(g.mu);
  if (!g.failure.empty()) return g.failure;
  std::string who;
  try {
    // survivors mark themselves and wait briefly for each other: whoever stays silent is named
    g.store->set(aliveKey(g.rank), std::vector<uint8_t>{1});
    auto until = Clock::now() + std::min(g.timeout, milliseconds(3000));
    std::vector<int> missing;
    for (;;) {
      missing.clear();
      for (int r = 0; r < g.size; r++) {
        if (r != g.rank && !g.store->check({aliveKey(r)})) missing.push_back(r);
      }
      if (missing.empty() || Clock::now() >= until) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
    who = missing.empty() ? "every rank saw it fail"
                          : ranksText(missing, g.size) + " stopped taking part (exited, hung or lost its connection)";
  } catch (const std::exception&) {
    who = "rank 0, which serves the store, is unreachable (exited or lost its connection)";
  }
  g.failure = op + " failed on rank " + std::to_string(g.rank) + ": " + who + " (" + what + ")";
  return g.failure;
}

CollectiveWorker::CollectiveWorker(Napi::Env env, std::shared_ptr<Group> group, std::string op, std::vector<WorkPtr> works,
                                   std::function<void()> after, std::function<Napi::Value(Napi::Env)> result)
    : Napi::AsyncWorker(env), group_(std::move(group)), op_(std::move(op)), works_(std::move(works)),
      after_(std::move(after)), result_(std::move(result)), deferred_(Napi::Promise::Deferred::New(env)) {}

void CollectiveWorker::Execute() {
  try {
    for (auto& w : works_) w->wait(group_->timeout);
  } catch (const std::exception& e) {
    SetError(explainFailure(*group_, op_, messageOf(e)));
    return;
  }
  try {
    if (after_) after_();
  } catch (const std::exception& e) {
    SetError(op_ + ": " + messageOf(e));
  }
}

void CollectiveWorker::OnOK() {
  Napi::Env env = Env();
  after_ = nullptr;  // drop captured tensors now, not when the worker is collected
  deferred_.Resolve(result_ ? result_(env) : env.Undefined());
}

void CollectiveWorker::OnError(const Napi::Error& e) { deferred_.Reject(torchError(Env(), e.Message()).Value()); }

// distBackends(): which backends this build can create.
Napi::Value DistBackends(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
#ifdef TORCHNODE_GLOO
  o.Set("gloo", true);
#else
  o.Set("gloo", false);
#endif
#ifdef TORCHNODE_NCCL
  o.Set("nccl", true);
#else
  o.Set("nccl", false);
#endif
  return o;
}

// distInit({backend, store, host, port, path, deviceHost, rank, worldSize, timeoutMs}) -> Promise<group>
Napi::Value DistInit(const Napi::CallbackInfo& info) {
  Napi::Object a = info[0].As<Napi::Object>();
  InitOptions o;
  o.backend = a.Get("backend").As<Napi::String>();
  o.store = a.Get("store").As<Napi::String>();
  o.host = a.Get("host").As<Napi::String>();
  o.path = a.Get("path").As<Napi::String>();
  o.deviceHost = a.Get("deviceHost").As<Napi::String>();
  o.port = a.Get("port").As<Napi::Number>().Int32Value();
  o.rank = a.Get("rank").As<Napi::Number>().Int32Value();
  o.size = a.Get("worldSize").As<Napi::Number>().Int32Value();
  o.timeout = milliseconds(a.Get("timeoutMs").As<Napi::Number>().Int64Value());
  auto* w = new InitWorker(info.Env(), std::move(o));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// distDestroy(group): frees the backend on its own thread (its destructor may wait for a dead peer).
Napi::Value DistDestroy(const Napi::CallbackInfo& info) {
  auto g = groupArg(info, 0);
  std::unique_ptr<Collectives> pg;
  c10::intrusive_ptr<c10d::Store> store;
  {
    std::lock_guard<std::mutex> lock(g->mu);
    pg = std::move(g->pg);
    store = g->store;
  }
  if (pg) std::thread([pg = std::move(pg), store = std::move(store)]() mutable { pg.reset(); }).detach();
  return info.Env().Undefined();
}

// distAllReduce(group, tensor, op) -> Promise<void>; in place.
Napi::Value DistAllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto g = groupArg(info, 0);
  at::Tensor t = unwrapTensor(env, info[1], "tensor");
  std::string op = info[2].As<Napi::String>();
  checkUsable(env, *g);
  c10d::AllreduceOptions o;
  o.reduceOp = reduceOpOf(env, op);
  std::vector<at::Tensor> ts{t};
  WorkPtr work = g->pg->allreduce(ts, o);
  std::function<void()> after;
  if (op == "avg") after = [t, n = g->size]() mutable { t.div_(n); };
  return queue(env, new CollectiveWorker(env, g, "allReduce", {work}, std::move(after), nullptr));
}

// Starts broadcasting args[1] from rank args[2] over group args[0], in place.
static std::pair<std::shared_ptr<Group>, WorkPtr> startBroadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto g = groupArg(info, 0);
  at::Tensor t = unwrapTensor(env, info[1], "tensor");
  int src = info[2].As<Napi::Number>().Int32Value();
  checkUsable(env, *g);
  c10d::BroadcastOptions o;
  o.rootRank = src;
  o.rootTensor = 0;
  std::vector<at::Tensor> ts{t};
  return {g, g->pg->broadcast(ts, o)};
}

// distBroadcast(group, tensor, src) -> Promise<void>; in place.
Napi::Value DistBroadcast(const Napi::CallbackInfo& info) {
  auto [g, work] = startBroadcast(info);
  return queue(info.Env(), new CollectiveWorker(info.Env(), g, "broadcast", {work}, nullptr, nullptr));
}

// distBroadcastNow(group, tensor, src): waited for on this thread, for DDP's buffer sync inside a
// forward, which is synchronous (as in PyTorch).
Napi::Value DistBroadcastNow(const Napi::CallbackInfo& info) {
  auto [g, work] = startBroadcast(info);
  try {
    work->wait(g->timeout);
  } catch (const std::exception& e) {
    throw torchError(info.Env(), explainFailure(*g, "broadcast", messageOf(e)));
  }
  return info.Env().Undefined();
}

// distAllGather(group, tensor) -> Promise<Handle[]>: one tensor per rank, in rank order.
Napi::Value DistAllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto g = groupArg(info, 0);
  at::Tensor t = unwrapTensor(env, info[1], "tensor");
  checkUsable(env, *g);
  std::vector<at::Tensor> in{t};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < g->size; r++) out[0].push_back(at::empty_like(t));
  WorkPtr work = g->pg->allgather(out, in);
  auto result = [out = out[0]](Napi::Env env) {
    Napi::Array a = Napi::Array::New(env, out.size());
    for (size_t r = 0; r < out.size(); r++) a.Set(r, wrapTensor(env, out[r]));
    return a;
  };
  return queue(env, new CollectiveWorker(env, g, "allGather", {work}, nullptr, result));
}

// distBarrier(group) -> Promise<void>
Napi::Value DistBarrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto g = groupArg(info, 0);
  checkUsable(env, *g);
  WorkPtr work = g->pg->barrier();
  return queue(env, new CollectiveWorker(env, g, "barrier", {work}, nullptr, nullptr));
}

}  // namespace torchnode
