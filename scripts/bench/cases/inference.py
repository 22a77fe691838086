"""ResNet-34 (CIFAR stem) inference: eval mode, no grad, one fixed random batch per forward. A round
is `iters` forwards; its value is images per second."""
import contextlib

import torch

from common import flags, now, seconds, serve, setup
from resnet import resnet34

o = flags({"batch": 128, "iters": 1, "warmup": 1, "device": "cpu", "amp": "none", "channelsLast": 0})
setup(o["device"])

fmt = torch.channels_last if o["channelsLast"] else torch.contiguous_format
model = resnet34(10).to(device=o["device"], memory_format=fmt).eval()
x = torch.randn(o["batch"], 3, 32, 32).to(device=o["device"], memory_format=fmt)
amp_dtype = {"none": None, "bfloat16": torch.bfloat16, "float16": torch.float16}[o["amp"]]


def forward():
    ctx = torch.autocast(o["device"].split(":")[0], dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
    with torch.no_grad(), ctx:
        model(x)


def round_():
    start = now()
    for _ in range(o["iters"]):
        forward()
    return o["batch"] * o["iters"] / seconds(start, o["device"])


for _ in range(o["warmup"]):
    forward()
seconds(now(), o["device"])
serve(round_)
