// Process groups over libtorch's c10d: stores, Gloo/NCCL collectives, waits off the JS thread.
#pragma once

#include <ATen/core/Tensor.h>
#include <napi.h>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "distributed_api.h"

namespace torchnode {

using WorkPtr = c10::intrusive_ptr<c10d::Work>;

// One backend's collectives: 1.13's Gloo is a c10d::ProcessGroup, 2.x's a c10d::Backend.
struct Collectives {
  virtual ~Collectives() = default;
  virtual WorkPtr allreduce(std::vector<at::Tensor>& tensors, const c10d::AllreduceOptions& o) = 0;
  virtual WorkPtr broadcast(std::vector<at::Tensor>& tensors, const c10d::BroadcastOptions& o) = 0;
  virtual WorkPtr allgather(std::vector<std::vector<at::Tensor>>& out, std::vector<at::Tensor>& in) = 0;
  virtual WorkPtr barrier() = 0;
};

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  std::unique_ptr<Collectives> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
  std::mutex mu;
  std::string failure;  // the first failure; every later collective reports it
};

// The group behind a JS handle; a TypeError if it is not one, a TorchError once destroyed.
std::shared_ptr<Group> groupArg(const Napi::CallbackInfo& info, size_t i);

// Throws the group's first failure, if any (a failed group cannot run collectives again).
void checkUsable(Napi::Env env, Group& g);

// The message for a failed collective, naming the ranks that did not take part.
std::string explainFailure(Group& g, const std::string& op, const std::string& what);

// Waits for collectives on a libuv worker, runs `after` there, resolves with `result` built on the JS thread.
class CollectiveWorker : public Napi::AsyncWorker {
 public:
  CollectiveWorker(Napi::Env env, std::shared_ptr<Group> group, std::string op, std::vector<WorkPtr> works,
                   std::function<void()> after, std::function<Napi::Value(Napi::Env)> result);
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  std::shared_ptr<Group> group_;
  std::string op_;
  std::vector<WorkPtr> works_;
  std::function<void()> after_;
  std::function<Napi::Value(Napi::Env)> result_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace torchnode
