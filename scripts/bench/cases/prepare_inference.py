"""The files every inference-peer case reads, so that all sides run the same network on the same
input: ResNet-34 (CIFAR stem, seed 0, batch-norm statistics moved off their defaults by a few
training-mode forwards) as safetensors and as ONNX, an input batch, and PyTorch eager's logits.

    python3 prepare_inference.py --dir=DIR --batch=32
writes DIR/weights.safetensors, DIR/resnet34.onnx, DIR/input-b32.f32, DIR/logits-b32.f32."""
import json
import os
import struct
import sys

import torch

from common import flags
from resnet import resnet34


def save_safetensors(tensors, path):
    """The safetensors format written out (8-byte header length, JSON header, raw data)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


o = flags({"dir": "", "batch": 32})
torch.manual_seed(0)
model = resnet34(10)
with torch.no_grad():
    for _ in range(3):
        model(torch.randn(16, 3, 32, 32) * 2 + 0.5)
model.eval()
weights = os.path.join(o["dir"], "weights.safetensors")
if not os.path.exists(weights):  # the same network for every batch size: written once a run
    save_safetensors(model.state_dict(), weights)
x = torch.randn(o["batch"], 3, 32, 32)
with torch.no_grad():
    logits = model(x)
x.numpy().tofile(os.path.join(o["dir"], f"input-b{o['batch']}.f32"))
logits.numpy().tofile(os.path.join(o["dir"], f"logits-b{o['batch']}.f32"))
onnx_file = os.path.join(o["dir"], "resnet34.onnx")
if not os.path.exists(onnx_file):
    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError:
        print(json.dumps({"onnx": None, "why": "the Python package onnx is missing (pip install onnx)"}))
        sys.exit(0)
    # the TorchScript exporter: one file with the weights inside, a dynamic batch dimension
    torch.onnx.export(model, (x[:1],), onnx_file, dynamo=False, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}}, opset_version=17)
print(json.dumps({"onnx": onnx_file, "torch": torch.__version__}))
