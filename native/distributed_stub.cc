// Built instead of distributed.cc/reducer.cc when libtorch ships no c10d headers.
#include "distributed_api.h"

#include "errors.h"

namespace torchnode {

namespace {

Napi::Value missing(const Napi::CallbackInfo& info) {
  throw torchError(info.Env(), "torchnode was built without torch.distributed: the libtorch it was built against has no "
                               "c10d headers (torch/csrc/distributed/c10d)");
}

}  // namespace

Napi::Value DistBackends(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gloo", false);
  o.Set("nccl", false);
  return o;
}
Napi::Value DistInit(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DistDestroy(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DistAllReduce(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DistBroadcast(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DistBroadcastNow(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DistAllGather(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DistBarrier(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DdpReducer(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DdpSetEnabled(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DdpFinish(const Napi::CallbackInfo& info) { return missing(info); }
Napi::Value DdpRelease(const Napi::CallbackInfo& info) { return missing(info); }

}  // namespace torchnode
