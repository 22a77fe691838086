"""The same ops as torchnode's ImagePipeline: shuffle, random crop from 4-pixel padding, flip,
normalise, batch; over a CIFAR-10-sized set of random uint8 images. A round is `batches` batches
(a new epoch starts where one ends); its value is images per second."""
import torch
import torch.nn.functional as F

from common import flags, now, seconds, serve, setup

o = flags({"batch": 128, "batches": 20, "warmup": 5, "images": 50000, "device": "cpu"})
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


def batches():
    e = 0
    while True:
        yield from epoch(e)
        e += 1


stream = batches()


def next_batch():
    x, y, _ = next(stream)
    return x.shape[0]


def round_():
    start = now()
    seen = sum(next_batch() for _ in range(o["batches"]))
    return seen / seconds(start, dev)


for _ in range(o["warmup"]):
    next_batch()
seconds(now(), dev)
serve(round_)
