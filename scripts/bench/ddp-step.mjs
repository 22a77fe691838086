// DDP step time on CIFAR ResNet-20: run alone (no DDP) or as a rank under `torchnode launch`.
// Prints one JSON line per configuration and round from rank 0: median ms per step (forward,
// backward, gradient sync, SGD step) and how many buckets started inside backward. The
// baseline runs the same ranks without any synchronisation, so it shares the machine alike.
// Usage: node dist/cli.js launch --nproc-per-node 2 -- scripts/bench/ddp-step.mjs [batch] [steps]
import * as torch from 'torchnode';

const { distributed: d } = torch;
const batch = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 12);
const distributed = Number(process.env.WORLD_SIZE ?? 1) > 1;
if (distributed) await d.initProcessGroup({ backend: 'gloo' });
const rank = distributed ? d.getRank() : 0;
torch.manualSeed(1);
const x = torch.randn([batch, 3, 32, 32]);
const y = torch.randint(0, 10, [batch]);

async function measure(label, options) {
  torch.manualSeed(0);
  const model = torch.models.resnet20();
  const ddp = options ? await d.DistributedDataParallel.create(model, options) : null;
  if (distributed) await d.barrier();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const times = { step: [], backward: [], sync: [] };
  for (let s = 0; s < steps + 3; s++) {
    const t0 = performance.now();
    const loss = torch.functional.crossEntropy(model.forward(x), y);
    const t1 = performance.now();
    loss.backward();
    loss.dispose();
    const t2 = performance.now();
    if (ddp) await ddp.syncGradients();
    const t3 = performance.now();
    torch.tidy(() => {
      optimizer.step();
      optimizer.zeroGrad();
    });
    if (s >= 3) {
      times.step.push(performance.now() - t0);
      times.backward.push(t2 - t1);
      times.sync.push(t3 - t2);
    }
  }
  const median = (a) => Number(a.sort((p, q) => p - q)[a.length >> 1].toFixed(1));
  if (rank === 0) {
    console.log(JSON.stringify({ config: label, ranks: distributed ? d.getWorldSize() : 1, batchPerRank: batch, threads: torch.getNumThreads(),
      stepMs: median(times.step), backwardMs: median(times.backward), syncWaitMs: median(times.sync),
      buckets: ddp?.buckets.length ?? 0, overlapped: ddp?.lastOverlappedBuckets ?? 0 }));
  }
  ddp?.release();
  model.dispose();
}

if (!distributed) await measure('single process, no DDP', null);
else {
  // the communication alone: one allreduce of ResNet-20's 272,474 float32 gradients
  const flat = torch.zeros([272474]);
  const lat = [];
  for (let i = 0; i < 23; i++) {
    const t0 = performance.now();
    await d.allReduce(flat, 'sum');
    if (i >= 3) lat.push(performance.now() - t0);
  }
  lat.sort((p, q) => p - q);
  if (rank === 0) console.log(JSON.stringify({ config: 'allReduce of 1.09 MB alone', medianMs: Number(lat[lat.length >> 1].toFixed(2)) }));
  for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) for (const [label, o] of [
    ['every rank alone, no sync (baseline)', null],
    ['one bucket, overlap', { bucketCapMb: 25, firstBucketMb: 25 }],
    ['default: 1 MB first bucket, then 25 MB, overlap', {}],
    ['0.25 MB buckets, overlap', { bucketCapMb: 0.25, firstBucketMb: 0.25 }],
    ['0.25 MB buckets, no overlap', { bucketCapMb: 0.25, firstBucketMb: 0.25, overlap: false }],
    ['0.05 MB buckets, overlap', { bucketCapMb: 0.05, firstBucketMb: 0.05 }],
  ]) await measure(label, o);
  d.destroyProcessGroup();
}
