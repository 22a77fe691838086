"""PyTorch's own inference rewrites of the bench ResNet-34 (CIFAR stem), timed in one process:
eager, channels-last, torch.fx conv-BN fusion, torch.utils.mkldnn prepacked weights, TorchScript
freeze + optimize_for_inference; batch 1 and 32, milliseconds per forward (docs/profiles.md).

    python3 scripts/bench/inference_variants.py"""
import sys, time, torch
sys.path.insert(0, __import__('os').path.join(__import__('os').path.dirname(__file__), 'cases'))
from resnet import resnet34
import torch.utils.mkldnn as tm
torch.set_num_threads(2); torch.manual_seed(0)
m = resnet34(10).eval()
def bench(f, x, n):
    with torch.no_grad():
        for _ in range(2): f(x)
        t = time.perf_counter()
        for _ in range(n): f(x)
        return (time.perf_counter() - t) / n * 1000
for b, n in ((1, 30), (32, 4)):
    x = torch.randn(b, 3, 32, 32)
    r = {}
    r['eager'] = bench(m, x, n)
    mcl = resnet34(10).eval(); mcl.load_state_dict(m.state_dict()); mcl = mcl.to(memory_format=torch.channels_last)
    r['channels_last'] = bench(mcl, x.contiguous(memory_format=torch.channels_last), n)
    import torch.fx.experimental.optimization as opt
    fz = opt.fuse(m)
    r['fx fuse (conv-bn fold)'] = bench(fz, x, n)
    mk = tm.to_mkldnn(opt.fuse(m))
    r['to_mkldnn(fused) (prepacked, mkldnn tensors)'] = bench(lambda x: mk(x.to_mkldnn()).to_dense(), x, n)
    with torch.no_grad():
        j = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(m, x)))
    r['jit freeze+optimize'] = bench(j, x, n)
    print(b, {k: round(v, 2) for k, v in r.items()})
