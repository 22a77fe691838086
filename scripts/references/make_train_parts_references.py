#!/usr/bin/env python3
"""Writes test/fixtures/train-parts.json: what PyTorch computes for torchnode's train.step and
train.evaluate on a tiny Flatten + Linear model with given weights.

    python3 scripts/references/make_train_parts_references.py test/fixtures

Contents (tensors as {"dtype", "shape", "data"}, floats written exactly through float64):

  model     the Linear layer's weight [3, 4] and bias [3] (state_dict names of Sequential(Flatten, Linear))
  step      x [5, 1, 2, 2] float32, y [5]; SGD(lr 0.1, momentum 0.9, nesterov, weight decay 5e-4),
            cross entropy with label smoothing 0.1; per step (3 of them) the loss and the weights after
  evaluate  uint8 images [6, 1, 2, 2], labels [6], mean [0.5], std [0.25]; the normalised batch through
            the model: mean cross entropy and top-1 accuracy
The same values come from torch 1.13 and 2.x (checked when the fixture was made).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


def enc(t):
    t = t.detach()
    name = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int64', torch.uint8: 'uint8'}[t.dtype]
    data = t.tolist() if t.dtype in (torch.int64, torch.uint8) else t.double().tolist()
    return {'dtype': name, 'shape': list(t.shape), 'data': data}


def model(weight, bias):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    with torch.no_grad():
        net[1].weight.copy_(weight)
        net[1].bias.copy_(bias)
    return net


def main(out_dir):
    weight = (torch.arange(12, dtype=torch.float32).reshape(3, 4) - 5.5) / 8
    bias = torch.tensor([0.1, -0.2, 0.05])
    x = (torch.arange(20, dtype=torch.float32).reshape(5, 1, 2, 2) % 7 - 3) / 4
    y = torch.tensor([0, 2, 1, 1, 0])
    net = model(weight, bias)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = []
    for _ in range(3):
        loss = F.cross_entropy(net(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()
        opt.zero_grad()
        steps.append({'loss': loss.item(), 'weight': enc(net[1].weight), 'bias': enc(net[1].bias)})

    images = torch.tensor([[0, 64, 128, 255], [255, 200, 10, 30], [90, 90, 90, 90],
                           [12, 250, 3, 77], [128, 128, 0, 255], [33, 66, 99, 132]], dtype=torch.uint8).reshape(6, 1, 2, 2)
    labels = torch.tensor([2, 0, 1, 2, 1, 0])
    mean, std = 0.5, 0.25
    # as the pipeline normalises: one subtract and one multiply on 0..255 values, in float32
    xs = (images.float() - torch.tensor(mean * 255)) * torch.tensor(1 / (std * 255))
    logits = model(weight, bias)(xs)
    evaluate = {'images': enc(images), 'labels': enc(labels), 'mean': [mean], 'std': [std],
                'loss': F.cross_entropy(logits, labels).item(), 'accuracy': (logits.argmax(1) == labels).double().mean().item()}

    out = {'model': {'1.weight': enc(weight), '1.bias': enc(bias)},
           'step': {'x': enc(x), 'y': enc(y), 'steps': steps}, 'evaluate': evaluate}
    with open(os.path.join(out_dir, 'train-parts.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures')
