"""The same ops as torchnode's ImagePipeline: shuffle, random crop from 4-pixel padding, flip,
normalise, batch; over a CIFAR-10-sized set of random uint8 images."""
import torch
import torch.nn.functional as F

from common import emit, flags, now, seconds, setup

o = flags({"batch": 128, "batches": 100, "warmup": 5, "images": 50000, "device": "cpu"})
setup(o["device"])
dev = o["device"]
MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]

images = torch.randint(0, 256, (o["images"], 3, 32, 32), dtype=torch.uint8).to(dev)
labels = torch.randint(0, 10, (o["images"],)).to(dev)
mean = torch.tensor([m * 255 for m in MEAN], device=dev).view(1, 3, 1, 1)
inv_std = torch.tensor([1 / (s * 255) for s in STD], device=dev).view(1, 3, 1, 1)
offsets = torch.arange(32, device=dev)


def stream_seed(seed, epoch, batch):
    return (seed * 1_000_003 + epoch * 65_537 + batch + 1) & ((1 << 63) - 1)


def augment(raw):
    n, c, h, w = raw.shape
    padded = F.pad(raw, [4, 4, 4, 4])
    oy = torch.randint(0, 9, (n,), device=dev)
    ox = torch.randint(0, 9, (n,), device=dev)
    ys = offsets.narrow(0, 0, h)
    xs = offsets.narrow(0, 0, w)
    rows = oy.unsqueeze(1).add(ys.unsqueeze(0))
    cols = ox.unsqueeze(1).add(xs.unsqueeze(0))
    mirrored = ox.unsqueeze(1).add(xs.flip(0).unsqueeze(0))
    cols = torch.where(torch.rand(n, 1, device=dev).lt(0.5), mirrored, cols)
    batch = torch.arange(n, device=dev).view(n, 1, 1, 1)
    channel = torch.arange(c, device=dev).view(1, c, 1, 1)
    return padded[batch, channel, rows.view(n, 1, h, 1), cols.view(n, 1, 1, w)]


def epoch(e):
    torch.manual_seed(stream_seed(0, e, -1))
    order = torch.randperm(len(images), device=dev)
    for b in range(len(images) // o["batch"]):
        with torch.no_grad():
            torch.manual_seed(stream_seed(0, e, b))
            idx = order.narrow(0, b * o["batch"], o["batch"])
            raw = images.index_select(0, idx)
            y = labels.index_select(0, idx)
            yield augment(raw).float().sub(mean).mul(inv_std), y, b


assert o["warmup"] + o["batches"] <= len(images) // o["batch"], "more batches than an epoch holds"
start, seen = now(), 0
for x, y, index in epoch(0):
    if index == o["warmup"]:
        start = now()
    if index >= o["warmup"]:
        seen += x.shape[0]
    del x, y
    if index + 1 == o["warmup"] + o["batches"]:
        break
emit(seen / seconds(start, dev), batches=o["batches"])
