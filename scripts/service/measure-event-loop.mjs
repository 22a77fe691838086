// Does a service stay responsive while it trains? A CIFAR ResNet-20 trains on the CPU in this
// process (real CIFAR-10 from the cache) while an HTTP endpoint on 127.0.0.1 in this process is
// hit by a bounded request loop; prints the event-loop delay and the request latencies.
//
//   npm run build && node scripts/service/measure-event-loop.mjs [--thread worker|main]
//     [--limit-train 4096] [--requests 4000] [--concurrency 4] [--interval-ms 10] [--json]
//
// The loop starts once training is under way (after its first step) and stops by itself after
// --requests requests; the training is then aborted (it stops at a step boundary, with a checkpoint).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const torch = await import(path.join(root, 'dist', 'index.js'));

const { values: flags } = parseArgs({
  options: {
    thread: { type: 'string', default: 'worker' },
    'limit-train': { type: 'string', default: '4096' },
    requests: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '4' },
    'interval-ms': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const int = (name, min) => {
  const v = Number(flags[name]);
  if (!Number.isSafeInteger(v) || v < min) throw new TypeError(`--${name} must be an integer >= ${min}, not '${flags[name]}'`);
  return v;
};
if (flags.thread !== 'worker' && flags.thread !== 'main') throw new TypeError(`--thread must be 'worker' or 'main', not '${flags.thread}'`);
const opts = { thread: flags.thread, limitTrain: int('limit-train', 128), requests: int('requests', 1), concurrency: int('concurrency', 1), intervalMs: int('interval-ms', 0) };

// the endpoint: a little JSON, as a health or metadata route would answer
const server = http.createServer((req, res) => {
  const body = JSON.stringify({ ok: true, path: req.url, at: Date.now() });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });

function get() {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    http.get({ host: '127.0.0.1', port, path: '/ping', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`status ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** `count` requests, `concurrency` clients, each pausing `intervalMs` between its requests. */
async function requestLoop({ count, concurrency, intervalMs }) {
  const latencies = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      latencies.push(await get());
      if (intervalMs > 0) await sleep(intervalMs);
    }
  }));
  return latencies.sort((a, b) => a - b);
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (ns) => ns / 1e6;

const out = mkdtempSync(path.join(os.tmpdir(), 'torchnode-measure-'));
const trainer = new torch.Trainer({ model: 'resnet20', epochs: 1, limitTrain: opts.limitTrain, limitTest: 0, device: 'cpu', out, logEvery: 1, seed: 0 },
  { progress: new torch.train.Progress(process.stderr, true), thread: opts.thread });
const stop = new AbortController();
const steps = [];
let started;
const underWay = new Promise((resolve) => { started = resolve; });
const fit = trainer.fit({
  signal: stop.signal,
  onBatchEnd: (s) => {
    steps.push({ at: performance.now(), imagesPerSecond: s.imagesPerSecond, batch: s.batch });
    if (s.batch === 1) started();
  },
});
fit.catch(() => started());
await underWay;

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const t0 = performance.now();
const latencies = await requestLoop({ count: opts.requests, concurrency: opts.concurrency, intervalMs: opts.intervalMs });
const seconds = (performance.now() - t0) / 1000;
delay.disable();
const stepsDuring = steps.filter((s) => s.at >= t0).length;
stop.abort();
const result = await fit;
trainer.model?.dispose();
server.close();
agent.destroy();
rmSync(out, { recursive: true, force: true });

const report = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
  node: process.version,
  libtorch: torch.buildInfo.version,
  torchThreads: torch.getNumThreads(),
  thread: opts.thread,
  training: { model: 'resnet20', limitTrain: opts.limitTrain, batchSize: trainer.config.batchSize, stepsDuringRequests: stepsDuring,
    imagesPerSecond: Math.round(steps.at(-1)?.imagesPerSecond ?? 0), interrupted: result.interrupted },
  requests: { count: latencies.length, concurrency: opts.concurrency, intervalMs: opts.intervalMs, seconds: Number(seconds.toFixed(2)),
    perSecond: Math.round(latencies.length / seconds), p50Ms: Number(quantile(latencies, 0.5).toFixed(2)),
    p99Ms: Number(quantile(latencies, 0.99).toFixed(2)), maxMs: Number(latencies.at(-1).toFixed(2)) },
  eventLoopDelay: { p50Ms: Number(ms(delay.percentile(50)).toFixed(2)), p99Ms: Number(ms(delay.percentile(99)).toFixed(2)),
    maxMs: Number(ms(delay.max).toFixed(2)), meanMs: Number(ms(delay.mean).toFixed(2)) },
};
if (flags.json) {
  console.log(JSON.stringify(report));
} else {
  const r = report;
  console.log(`${r.date}  ${r.machine}; node ${r.node}, libtorch ${r.libtorch}, ${r.torchThreads} torch threads`);
  console.log(`training on the ${r.thread} thread: ResNet-20, ${r.training.limitTrain} CIFAR-10 images, batch ${r.training.batchSize}, ` +
    `${r.training.stepsDuringRequests} steps during the requests, ${r.training.imagesPerSecond} img/s`);
  console.log(`requests:   ${r.requests.count} in ${r.requests.seconds} s (${r.requests.concurrency} clients, ${r.requests.intervalMs} ms pause): ` +
    `p50 ${r.requests.p50Ms} ms, p99 ${r.requests.p99Ms} ms, max ${r.requests.maxMs} ms`);
  console.log(`event loop: delay p50 ${r.eventLoopDelay.p50Ms} ms, p99 ${r.eventLoopDelay.p99Ms} ms, max ${r.eventLoopDelay.maxMs} ms`);
}
