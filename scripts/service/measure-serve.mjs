// The example service under a burst: starts dist/examples/serve.js on a ResNet-20 checkpoint,
// sends --requests raw 32x32 images --concurrency at a time, and prints latencies, throughput
// and the server's own memory figures (/healthz) before and after.
//
//   npm run build && node scripts/service/measure-serve.mjs [--checkpoint F] [--requests 2000] [--concurrency 16] [--json]
//
// Without --checkpoint it writes a freshly initialised ResNet-20 (the speed does not depend on the weights).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: flags } = parseArgs({
  options: { checkpoint: { type: 'string' }, requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, json: { type: 'boolean', default: false } },
  strict: true,
});
const requests = Number(flags.requests);
const concurrency = Number(flags.concurrency);
if (!Number.isSafeInteger(requests) || requests < 1) throw new TypeError(`--requests must be a positive integer, not '${flags.requests}'`);
if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new TypeError(`--concurrency must be a positive integer, not '${flags.concurrency}'`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'torchnode-serve-'));
let checkpoint = flags.checkpoint;
if (!checkpoint) {
  const torch = await import(path.join(root, 'dist', 'index.js'));
  checkpoint = path.join(dir, 'resnet20.safetensors');
  const model = torch.models.resnet20();
  torch.tidy(() => torch.save(model.stateDict(), checkpoint, { metadata: { model: 'resnet20' } }));
  model.dispose();
}

const child = spawn(process.execPath, [path.join(root, 'dist', 'examples', 'serve.js'), '--checkpoint', checkpoint, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let text = '';
  child.stdout.on('data', (c) => {
    text += c;
    const m = /listening on http:\/\/[^:]+:(\d+)/.exec(text);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
});
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function call(method, pathname, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent, headers: body ? { 'content-type': 'application/octet-stream' } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const images = Array.from({ length: 16 }, (_, i) => Uint8Array.from({ length: 3072 }, (_, k) => (k * 31 + i * 17) & 255));
async function burst(count) {
  const latencies = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const start = performance.now();
      await call('POST', '/predict', images[i % images.length]);
      latencies.push(performance.now() - start);
    }
  }));
  return latencies.sort((a, b) => a - b);
}

await burst(Math.min(256, requests)); // warm: allocator, V8, the recorded forward
const before = await call('GET', '/healthz');
const t0 = performance.now();
const latencies = await burst(requests);
const seconds = (performance.now() - t0) / 1000;
const afterBurst = await call('GET', '/healthz');
agent.destroy();
child.kill('SIGTERM');
const exitCode = await new Promise((resolve) => child.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });

const q = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1));
const report = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, node ${process.version}`,
  requests, concurrency, seconds: Number(seconds.toFixed(2)), perSecond: Math.round(requests / seconds),
  p50Ms: q(0.5), p99Ms: q(0.99), maxMs: Number(latencies.at(-1).toFixed(1)),
  liveTensors: [before.liveTensors, afterBurst.liveTensors], rssMiB: [before.rssBytes, afterBurst.rssBytes].map((b) => Math.round(b / 2 ** 20)),
  sigtermExit: exitCode,
};
if (flags.json) console.log(JSON.stringify(report));
else {
  console.log(`${report.date}  ${report.machine}`);
  console.log(`${requests} predictions, ${concurrency} at a time: ${report.seconds} s, ${report.perSecond}/s; latency p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms, max ${report.maxMs} ms`);
  console.log(`server: live tensors ${report.liveTensors.join(' -> ')}, RSS ${report.rssMiB.join(' -> ')} MiB; exit after SIGTERM: ${exitCode}`);
}
