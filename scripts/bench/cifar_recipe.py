"""The torchnode CPU recipe in PyTorch, for a side-by-side run on the same machine.

ResNet-20 (16/32/64 channels, 1x1 projection shortcuts, as torchnode's resnet20), batch 128
(last partial batch dropped), SGD with Nesterov momentum 0.9 and weight decay 5e-4, OneCycle to
0.2 with 25% warm-up, label smoothing 0.1, random crop (4-pixel padding) and flip, evaluation
with flip test-time augmentation. Reads the canonical binary files. Prints one JSON line.

/usr/bin/python3 scripts/bench/cifar_recipe.py --data-dir ~/.cache/torchnode/cifar10/cifar-10-batches-bin
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]


def read(dir, names):
    raw = np.concatenate([np.fromfile(os.path.join(dir, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    return torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(raw[:, 0].astype(np.int64))


class Block(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = (nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))
                           if stride != 1 or inp != out else None)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


def resnet20():
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    inp = 16
    for out, stride in [(16, 1), (32, 2), (64, 2)]:
        for k in range(3):
            layers.append(Block(inp, out, stride if k == 0 else 1))
            inp = out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model


def augment(x, gen):
    n = x.shape[0]
    padded = F.pad(x, [4, 4, 4, 4])
    oy = torch.randint(0, 9, (n,), generator=gen)
    ox = torch.randint(0, 9, (n,), generator=gen)
    rows = oy[:, None] + torch.arange(32)
    cols = ox[:, None] + torch.arange(32)
    flip = torch.rand(n, 1, generator=gen) < 0.5
    cols = torch.where(flip, ox[:, None] + torch.arange(31, -1, -1), cols)
    return padded[torch.arange(n)[:, None, None, None], torch.arange(3)[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    train_x, train_y = read(args.data_dir, [f"data_batch_{i}.bin" for i in range(1, 6)])
    test_x, test_y = read(args.data_dir, ["test_batch.bin"])
    mean = torch.tensor(MEAN).view(1, 3, 1, 1) * 255
    inv_std = 1 / (torch.tensor(STD).view(1, 3, 1, 1) * 255)
    model = resnet20()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = args.epochs * (len(train_x) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.25)
    history, train_seconds = [], 0.0
    for epoch in range(args.epochs):
        model.train()
        start = time.time()
        perm = torch.randperm(len(train_x), generator=gen)
        loss_sum, seen = 0.0, 0
        for b in range(len(train_x) // args.batch_size):
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            x = (augment(train_x[idx], gen).float() - mean) * inv_std
            y = train_y[idx]
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(y)
            seen += len(y)
        seconds = time.time() - start
        train_seconds += seconds
        model.eval()
        correct = 0
        with torch.no_grad():
            for b in range(0, len(test_x), 500):
                x = (test_x[b:b + 500].float() - mean) * inv_std
                logits = (model(x) + model(x.flip(3))) / 2
                correct += (logits.argmax(1) == test_y[b:b + 500]).sum().item()
        history.append({"epoch": epoch + 1, "trainLoss": loss_sum / seen, "testAccuracy": correct / len(test_x),
                        "seconds": seconds, "imagesPerSecond": seen / seconds})
    print(json.dumps({"framework": f"PyTorch {torch.__version__}", "testAccuracy": history[-1]["testAccuracy"], "epochs": args.epochs,
                      "trainSeconds": train_seconds, "imagesPerSecond": args.epochs * steps // args.epochs * args.batch_size / train_seconds,
                      "threads": torch.get_num_threads(), "metrics": history}))


if __name__ == "__main__":
    main()
