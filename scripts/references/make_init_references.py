#!/usr/bin/env python3
"""Writes test/fixtures/init-parity.json: the state of torchvision's resnet18 and resnet50 and of a
CIFAR resnet20 built from torchvision's blocks, each made right after torch.manual_seed(0), for
test/init-parity.test.ts (torchnode's builders after torch.manualSeed(0) must equal them exactly).

    python3 scripts/references/make_init_references.py test/fixtures
    /usr/bin/python3 scripts/references/make_init_references.py /tmp/i113   # torch 1.13: same values

Per state_dict entry: shape, float64 sum, float64 sum of absolute values, the first four values;
full values of a few small tensors. torchvision initialises in two passes: each layer's own
reset_parameters as it is built (convolutions, then the final Linear), then kaiming_normal_ over
every convolution in modules() order, so both the build order and the init loop must match.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, conv1x1, conv3x3


class CifarResNet(nn.Module):
    """The ResNet paper's CIFAR net (6n+2 layers, 16/32/64 channels) from torchvision's parts, in torchvision's build order."""

    def __init__(self, n, num_classes=10):
        super().__init__()
        self.inplanes = 16
        self.conv1 = conv3x3(3, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, n, 1)
        self.layer2 = self._make_layer(32, n, 2)
        self.layer3 = self._make_layer(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)


def summary(model, full):
    out = {}
    for k, v in model.state_dict().items():
        if v.dtype != torch.float32:
            continue  # num_batches_tracked
        d = v.double()
        entry = {'shape': list(v.shape), 'sum': float(d.sum()), 'absSum': float(d.abs().sum()), 'first': v.flatten()[:4].double().tolist()}
        if k in full:
            entry['values'] = v.flatten().double().tolist()
        out[k] = entry
    return out


def made(build):
    torch.manual_seed(0)
    return build()


def main(out):
    refs = {
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'resnet18': summary(made(lambda: torchvision.models.resnet18()), {'conv1.weight', 'fc.bias'}),
        'resnet50': summary(made(lambda: torchvision.models.resnet50(num_classes=10, zero_init_residual=True)), {'fc.bias'}),
        'resnet20': summary(made(lambda: CifarResNet(3)), {'conv1.weight', 'fc.weight', 'fc.bias'}),
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'init-parity.json'), 'w') as f:
        json.dump(refs, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures'))
