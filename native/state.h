// Per-environment addon state: each Node environment (main thread, worker) has its own.
#pragma once

#include <ATen/core/stack.h>
#include <napi.h>

#include <cstdint>
#include <memory>

#include "handle.h"

namespace torchnode {

class Recorder;

struct AddonState {
  Napi::FunctionReference torchError;  // the TorchError class defined in TypeScript
  HandleTable handles;                 // live tensors by slot, freed at env exit
  int64_t liveTensors = 0;
  int64_t hostBytes = 0;               // bytes of CPU tensor data held by live handles
  int64_t unreportedBytes = 0;         // change not yet passed on to V8 (sent in batches)
  std::shared_ptr<Recorder> recorder;  // set while a trace is being recorded
  torch::jit::Stack stack;             // CallOp's arguments, reused: an environment runs on one thread
  int capturing = 0;                   // CUDA graphs capturing on this thread: CallOp checks what they capture
};

inline AddonState& stateOf(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

}  // namespace torchnode
