"""ResNet-34 (CIFAR stem) inference on the prepared network and input (prepare_inference.py), in
PyTorch: eager (`engine=eager`, no_grad) or TorchScript frozen and optimised for inference
(`engine=jit`: torch.jit.trace, torch.jit.freeze, torch.jit.optimize_for_inference). Checks its
logits against the eager ones first. A round is `iters` forwards; its value is images per second."""
import os

import numpy as np
import torch

from common import flags, now, seconds, serve, setup
from resnet import resnet34
from safetensors_reader import load

o = flags({"dir": "", "batch": 32, "iters": 1, "warmup": 2, "engine": "eager"})
setup("cpu")
model = resnet34(10)
model.load_state_dict(load(os.path.join(o["dir"], "weights.safetensors")))
model.eval()
x = torch.from_numpy(np.fromfile(os.path.join(o["dir"], f"input-b{o['batch']}.f32"), dtype=np.float32).reshape(o["batch"], 3, 32, 32))
expected = torch.from_numpy(np.fromfile(os.path.join(o["dir"], f"logits-b{o['batch']}.f32"), dtype=np.float32)).view(o["batch"], 10)

if o["engine"] == "jit":
    with torch.no_grad():
        run = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
elif o["engine"] == "eager":
    run = model
else:
    raise SystemExit(f"unknown engine {o['engine']}")


def forward():
    with torch.no_grad():
        return run(x)


diff = (forward() - expected).abs().max().item()
for _ in range(o["warmup"]):
    forward()


def round_():
    start = now()
    for _ in range(o["iters"]):
        forward()
    return o["batch"] * o["iters"] / seconds(start)


serve(round_, maxAbsDiff=diff)
