// A long run in one process: training steps and predictions interleaved in rounds, with the live
// tensor count and the RSS after each round. The live tensors must stay at their count and the
// last round's RSS within 5% of the warm-up's peak (the first 30% of the rounds).
//
//   npm run soak -- [--steps 1000] [--predictions 100000] [--rounds 10] [--no-release] [--json]
//
// Each round ends with torch.releaseHostMemory() (--no-release: without it, glibc's per-thread
// pools keep freed memory and the RSS creeps up towards its peak). MALLOC_ARENA_MAX=2 in the
// environment caps those pools at two (docs/service.md has both figures).
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { machine, root } from './harness.mjs';

const torch = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);

/**
 * `steps` SGD steps of a CIFAR ResNet-20 (batch 32, real CIFAR-10 images) and `predictions` images
 * predicted (batches of 1, 7, 32 and 64 in turn) in `rounds` rounds, each ended by
 * `torch.releaseHostMemory()` unless `release` is false; returns each round's figures.
 */
export async function soak({ steps, predictions, rounds, release = true, onRound = () => {} }) {
  torch.setNumThreads(os.availableParallelism());
  torch.manualSeed(0);
  const { images, labels } = await torch.data.loadCifar10({ split: 'train', limit: 3200 });
  // in tidy: the tensor under each view would otherwise live until GC, moving the live count between rounds
  const mean = torch.tidy(() => torch.tensor([...torch.data.CIFAR10_MEAN]).view(1, 3, 1, 1));
  const std = torch.tidy(() => torch.tensor([...torch.data.CIFAR10_STD]).view(1, 3, 1, 1));
  const x = torch.tidy(() => images.float().div(255).sub(mean).div(std));
  const model = torch.models.resnet20();
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const sizes = [1, 7, 32, 64];
  let at = 0;
  let call = 0;
  const series = [];
  const started = Date.now();
  for (let round = 1; round <= rounds; round++) {
    const roundSteps = Math.round((steps * round) / rounds) - Math.round((steps * (round - 1)) / rounds);
    const roundImages = Math.round((predictions * round) / rounds) - Math.round((predictions * (round - 1)) / rounds);
    model.train();
    let loss = 0;
    for (let s = 0; s < roundSteps; s++) {
      const start = (at++ * 32) % 3200;
      opt.zeroGrad();
      loss = torch.tidy(() => {
        const l = torch.functional.crossEntropy(model.forward(x.narrow(0, start, 32)), labels.narrow(0, start, 32));
        l.backward();
        return l.item();
      });
      opt.step();
    }
    model.eval();
    let done = 0;
    while (done < roundImages) {
      const n = Math.min(sizes[call++ % sizes.length], roundImages - done);
      const batch = x.narrow(0, (done * 13) % (3200 - 64), n);
      const probs = await model.predict(batch);
      probs.dispose();
      batch.dispose();
      done += n;
    }
    // what a long-running process does between epochs or when idle: give the allocator's pools back
    if (release) torch.releaseHostMemory();
    const m = torch.memory();
    const entry = { round, steps: at, predicted: Math.round((predictions * round) / rounds), loss: Number(loss.toFixed(4)), liveTensors: m.liveTensors,
      rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20), heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20), seconds: (Date.now() - started) / 1000 };
    series.push(entry);
    onRound(entry);
  }
  for (const t of [images, labels, mean, std, x]) t.dispose();
  opt.dispose();
  model.dispose();
  return series;
}

/**
 * Live tensors constant over every round, and the RSS growth (a fraction) of the last round beyond
 * the peak of the warm-up (the first 30% of the rounds, at least one) and beyond the first round.
 * A leak climbs past the warm-up's peak; the allocator's pools filling by shape and thread do not.
 */
export function verdict(series) {
  const warmUpRounds = Math.max(1, Math.ceil(series.length * 0.3));
  const peak = Math.max(...series.slice(0, warmUpRounds).map((e) => e.rssMiB));
  const last = series.at(-1);
  return { liveTensorsSteady: series.every((e) => e.liveTensors === series[0].liveTensors), rssGrowth: (last.rssMiB - peak) / peak,
    warmUpRounds, rssGrowthFromRound1: (last.rssMiB - series[0].rssMiB) / series[0].rssMiB };
}

async function main() {
  const { values: flags } = parseArgs({
    options: { steps: { type: 'string', default: '1000' }, predictions: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '10' },
      'no-release': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const [steps, predictions, rounds] = ['steps', 'predictions', 'rounds'].map((k) => {
    const n = Number(flags[k]);
    if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`--${k} must be a positive integer, not '${flags[k]}'`);
    return n;
  });
  if (!flags.json) console.log(`${new Date().toISOString()}  ${machine()}\n| round | steps | images predicted | loss | live tensors | RSS | JS heap | s |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  const series = await soak({ steps, predictions, rounds, release: !flags['no-release'], onRound: (e) => {
    if (!flags.json) console.log(`| ${e.round} | ${e.steps} | ${e.predicted} | ${e.loss} | ${e.liveTensors} | ${e.rssMiB} MiB | ${e.heapMiB} MiB | ${e.seconds.toFixed(0)} |`);
  } });
  const v = verdict(series);
  if (flags.json) console.log(JSON.stringify({ date: new Date().toISOString(), machine: machine(), steps, predictions, rounds, series, ...v }));
  else {
    console.log(`live tensors steady: ${v.liveTensorsSteady}; RSS growth beyond the warm-up's peak (rounds 1-${v.warmUpRounds}): ${(v.rssGrowth * 100).toFixed(1)}% ` +
      `(limit 5%); after round 1: ${(v.rssGrowthFromRound1 * 100).toFixed(1)}%`);
  }
  if (!v.liveTensorsSteady || v.rssGrowth >= 0.05) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
