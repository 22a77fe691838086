"""The PyTorch original of examples/ported/train.ts: a small CNN trained for 24 steps with SGD,
OneCycleLR and gradient clipping, then top-1/top-5 accuracy. `--json` prints what the port is
checked against (test/fixtures/ported.json)."""
import json
import sys

import torch
from torch import nn


def run():
    torch.manual_seed(0)
    x = torch.randn(96, 3, 16, 16)
    y = torch.randint(0, 10, (96,))

    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.GroupNorm(4, 32), nn.GELU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, total_steps=24)

    losses, lrs = [], []
    model.train()
    for step in range(24):
        start = (step % 3) * 32
        inputs, targets = x[start:start + 32], y[start:start + 32]
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        lrs.append(scheduler.get_last_lr()[0])

    model.eval()
    with torch.no_grad():
        logits = model(x)
        top5 = logits.topk(5, dim=1).indices
        top1 = (top5[:, 0] == y).float().mean().item()
        top5_acc = (top5 == y.unsqueeze(1)).any(dim=1).float().mean().item()
    return {'losses': losses, 'lrs': lrs, 'top1': top1, 'top5': top5_acc}


if __name__ == '__main__':
    result = run()
    if '--json' in sys.argv:
        json.dump({'pytorch': torch.__version__.split('+')[0], **result}, sys.stdout, indent=1)
        print()
    else:
        print(f"loss {result['losses'][0]:.4f} -> {result['losses'][-1]:.4f}, "
              f"top-1 {result['top1']:.3f}, top-5 {result['top5']:.3f}")
