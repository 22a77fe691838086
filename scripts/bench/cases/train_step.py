"""ResNet-34 (CIFAR stem) training steps: forward, cross-entropy, backward, SGD (Nesterov momentum,
weight decay, multi-tensor as torchnode's), gradients cleared; one fixed random batch."""
import contextlib

import torch
import torch.nn.functional as F

from common import emit, flags, median, now, seconds, setup
from resnet import resnet34

o = flags({"batch": 32, "steps": 5, "warmup": 2, "device": "cpu", "amp": "none", "channelsLast": 0})
setup(o["device"])

fmt = torch.channels_last if o["channelsLast"] else torch.contiguous_format
model = resnet34(10).to(device=o["device"], memory_format=fmt)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4, foreach=True)
x = torch.randn(o["batch"], 3, 32, 32).to(device=o["device"], memory_format=fmt)
y = torch.randint(0, 10, (o["batch"],)).to(o["device"])
amp_dtype = {"none": None, "bfloat16": torch.bfloat16, "float16": torch.float16}[o["amp"]]


def step():
    ctx = torch.autocast(o["device"].split(":")[0], dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
    with ctx:
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


for _ in range(o["warmup"]):
    step()
seconds(now(), o["device"])
times = []
for _ in range(o["steps"]):
    start = now()
    step()
    times.append(seconds(start, o["device"]))
emit(o["batch"] / median(times), stepSeconds=times)
