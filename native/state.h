// Per-environment addon state: each Node environment (main thread, worker) has its own.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>

namespace torchnode {

struct Handle;
class Recorder;

struct AddonState {
  Napi::FunctionReference torchError;  // the TorchError class defined in TypeScript
  Handle* first = nullptr;             // intrusive list of live handles, freed at env exit
  int64_t liveTensors = 0;
  int64_t hostBytes = 0;               // bytes of CPU tensor data held by live handles
  int64_t unreportedBytes = 0;         // change not yet passed on to V8 (sent in batches)
  std::shared_ptr<Recorder> recorder;  // set while a trace is being recorded
};

inline AddonState& stateOf(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

}  // namespace torchnode
