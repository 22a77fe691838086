// The torch.distributed entry points (distributed.cc, reducer.cc, or distributed_stub.cc without c10d).
#pragma once

#include <napi.h>

namespace torchnode {

Napi::Value DistBackends(const Napi::CallbackInfo& info);
Napi::Value DistInit(const Napi::CallbackInfo& info);
Napi::Value DistDestroy(const Napi::CallbackInfo& info);
Napi::Value DistAllReduce(const Napi::CallbackInfo& info);
Napi::Value DistBroadcast(const Napi::CallbackInfo& info);
Napi::Value DistBroadcastNow(const Napi::CallbackInfo& info);
Napi::Value DistAllGather(const Napi::CallbackInfo& info);
Napi::Value DistBarrier(const Napi::CallbackInfo& info);

// DistributedDataParallel's gradient reducer (reducer.cc).
Napi::Value DdpReducer(const Napi::CallbackInfo& info);
Napi::Value DdpSetEnabled(const Napi::CallbackInfo& info);
Napi::Value DdpFinish(const Napi::CallbackInfo& info);
Napi::Value DdpRelease(const Napi::CallbackInfo& info);

}  // namespace torchnode
