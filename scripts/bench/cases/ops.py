"""Per-op call time on tiny tensors, in microseconds: a round is N calls, each result freed as the
call returns."""
import torch
import torch.nn.functional as F

from common import flags, now, seconds, serve, setup

o = flags({"op": "add", "calls": 100000, "warmup": 50000})
setup()

a = torch.ones(1)
b = torch.ones(1)
x = torch.randn(1, 4, 8, 8)
image = torch.randn(1, 3, 8, 8)
weight = torch.randn(4, 3, 3, 3)


# One loop per op, so the loop adds no Python function call of its own.
def round_add(n):
    start = now()
    for _ in range(n):
        a.add(b)
    return seconds(start)


def round_relu(n):
    start = now()
    for _ in range(n):
        x.relu()
    return seconds(start)


def round_conv2d(n):
    start = now()
    for _ in range(n):
        F.conv2d(image, weight)
    return seconds(start)


run = {"add": round_add, "relu": round_relu, "conv2d": round_conv2d}[o["op"]]
run(o["warmup"])
serve(lambda: run(o["calls"]) / o["calls"] * 1e6)
