"""torchvision ResNets against torchnode's, through safetensors files.

export: builds a torchvision model (seeded), moves its batch-norm statistics off their initial
        values, and writes weights.safetensors (its state_dict) and io.safetensors (an input,
        eval-mode logits, then train-mode loss, logits, gradients and updated running stats).
check:  loads weights written by torchnode with load_state_dict(strict=True) and writes the
        eval-mode logits for a given input.

Run by /usr/bin/python3 (Debian's python3-torch and python3-torchvision).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

torch.set_num_threads(max(1, os.cpu_count() or 1))


def build(arch, stem, num_classes):
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    if stem == "cifar":
        # the CIFAR stem: one 3x3 stride-1 convolution and no max-pool
        model.conv1 = nn.Conv2d(3, model.conv1.out_channels, 3, 1, 1, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
        model.maxpool = nn.Identity()
    return model


def export(args):
    torch.manual_seed(args.seed)
    model = build(args.arch, args.stem, args.num_classes)
    size = 32 if args.stem == "cifar" else 64
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, 3, size, size) * 2 + 0.5)
    safetensors_io.write(os.path.join(args.out, "weights.safetensors"), model.state_dict())

    x = torch.randn(args.batch, 3, size, size)
    labels = torch.randint(0, args.num_classes, (args.batch,))
    io = {"x": x, "labels": labels}
    model.eval()
    with torch.no_grad():
        io["eval.logits"] = model(x)
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    io["train.logits"] = logits
    io["train.loss"] = loss
    for name, p in model.named_parameters():
        io["grad." + name] = p.grad
    for name, b in model.named_buffers():
        io["after." + name] = b
    safetensors_io.write(os.path.join(args.out, "io.safetensors"), io)


def check(args):
    model = build(args.arch, args.stem, args.num_classes)
    model.load_state_dict(safetensors_io.read(args.weights), strict=True)
    model.eval()
    x = safetensors_io.read(args.input)["x"]
    with torch.no_grad():
        safetensors_io.write(args.out, {"eval.logits": model(x)})


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("export", "check"):
        s = sub.add_parser(name)
        s.add_argument("--arch", required=True, choices=["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
        s.add_argument("--stem", default="imagenet", choices=["imagenet", "cifar"])
        s.add_argument("--num-classes", type=int, default=10)
    e = sub.choices["export"]
    e.add_argument("--out", required=True)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--batch", type=int, default=2)
    c = sub.choices["check"]
    c.add_argument("--weights", required=True)
    c.add_argument("--input", required=True)
    c.add_argument("--out", required=True)
    args = p.parse_args()
    export(args) if args.cmd == "export" else check(args)


if __name__ == "__main__":
    main()
