"""ResNet-34 (CIFAR stem) training steps: forward, cross-entropy, backward, SGD (Nesterov momentum,
weight decay, multi-tensor as torchnode's), gradients cleared; one fixed random batch. A round is
`steps` steps; its value is images per second. --graphs=1: the whole step captured in a CUDA graph
(torch.cuda.graph after three warm-up steps on a side stream, as PyTorch's docs show) and replayed."""
import contextlib

import torch
import torch.nn.functional as F

from common import flags, now, seconds, serve, setup
from resnet import resnet34

o = flags({"batch": 32, "steps": 1, "warmup": 1, "device": "cpu", "amp": "none", "channelsLast": 0, "graphs": 0})
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


if o["graphs"]:
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        step()
    eager_step, step = step, graph.replay


def round_():
    start = now()
    for _ in range(o["steps"]):
        step()
    return o["batch"] * o["steps"] / seconds(start, o["device"])


for _ in range(o["warmup"]):
    step()
seconds(now(), o["device"])
serve(round_)
