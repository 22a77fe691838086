// The example service under load: POST /predict with real CIFAR-10 test images at each
// concurrency for a fixed duration (autocannon, loopback only), and the server's RSS around it.
//
//   npm run build && npm run loadtest -- [--checkpoint F] [--concurrency 1,8,64] [--seconds 10] [--max-requests 100000] [--json]
//
// Without --checkpoint it serves a freshly initialised ResNet-20 (speed does not depend on the weights).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

import { healthz, machine, makeCheckpoint, startServe, testImages } from './harness.mjs';

const { values: flags } = parseArgs({
  options: {
    checkpoint: { type: 'string' }, concurrency: { type: 'string', default: '1,8,64' }, seconds: { type: 'string', default: '10' },
    'max-requests': { type: 'string', default: '100000' }, images: { type: 'string', default: '256' }, json: { type: 'boolean', default: false },
  },
  strict: true,
});
const positive = (name) => {
  const n = Number(flags[name]);
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`--${name} must be a positive integer, not '${flags[name]}'`);
  return n;
};
const seconds = positive('seconds');
const maxRequests = positive('max-requests');
const levels = flags.concurrency.split(',').map((c) => {
  const n = Number(c);
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`--concurrency takes positive integers separated by commas, not '${flags.concurrency}'`);
  return n;
});

/**
 * `clients` keep-alive clients predict in a loop; after a second the server gets SIGTERM. Every
 * request it accepted must be answered (200, or 503 'shutting down' for one that arrived on an
 * open connection after it), new connections refused, and the exit code 0.
 */
async function sigtermUnderLoad(server, images, clients) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let signalled = 0;
  const tally = { answeredAfter: 0, okAfter: 0, refused: 0, errors: {}, otherStatuses: {} };
  const once = (body) => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/predict?layout=planar', agent,
      headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
  let n = 0;
  const loops = Array.from({ length: clients }, async () => {
    for (;;) {
      const r = await once(images[n++ % images.length].planar);
      if (r.error) {
        if (!signalled) throw new Error(`a request failed before SIGTERM: ${r.error}`);
        tally.refused++;
        tally.errors[r.error] = (tally.errors[r.error] ?? 0) + 1;
        return;
      }
      const shuttingDown = r.status === 503 && r.body.includes('the server is shutting down');
      if (r.status !== 200 && !shuttingDown) tally.otherStatuses[r.status] = (tally.otherStatuses[r.status] ?? 0) + 1;
      if (signalled) {
        tally.answeredAfter++;
        if (r.status === 200) tally.okAfter++;
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  signalled = Date.now();
  server.child.kill('SIGTERM');
  const exitCode = await server.exited;
  const exitMs = Date.now() - signalled;
  await Promise.all(loops);
  agent.destroy();
  return { clients, ...tally, exitCode, exitMs };
}

// autocannon stops at the deadline with requests still in flight: read the server once they are done
async function settled(port) {
  let h = await healthz(port);
  for (let i = 0; h.inFlight > 0 && i < 100; i++) h = await new Promise((resolve) => setTimeout(resolve, 50)).then(() => healthz(port));
  return h;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'torchnode-loadtest-'));
try {
  const checkpoint = flags.checkpoint ?? await makeCheckpoint(dir);
  const images = await testImages(checkpoint, positive('images'));
  // the queue holds every client at the highest concurrency: this measures latency, not refusals
  const server = await startServe(checkpoint, ['--max-queue', String(Math.max(256, ...levels))]);
  let next = 0;
  const requests = [{
    method: 'POST', path: '/predict?layout=planar', headers: { 'content-type': 'application/octet-stream' },
    setupRequest: (req) => ({ ...req, body: Buffer.from(images[next++ % images.length].planar) }),
  }];
  // a fixed duration, and at most --max-requests (whichever ends first)
  const run = (connections, duration, maxOverallRequests) => autocannon({ url: server.url, connections, duration, maxOverallRequests, requests, timeout: 30 });
  await run(8, 3); // warm: allocator pools, V8, batch shapes
  const rows = [];
  for (const connections of levels) {
    const before = await settled(server.port);
    const r = await run(connections, seconds, maxRequests);
    const after = await settled(server.port);
    rows.push({
      concurrency: connections, seconds: r.duration, requests: r.requests.total, perSecond: Number((r.requests.total / r.duration).toFixed(1)),
      p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, errors: r.errors + r.timeouts, non2xx: r.non2xx,
      rssMiB: [before.rssBytes, after.rssBytes].map((b) => Math.round(b / 2 ** 20)), liveTensors: [before.liveTensors, after.liveTensors],
    });
  }
  const shutdown = await sigtermUnderLoad(server, images, Math.max(...levels));
  const exitCode = shutdown.exitCode;
  const base = rows.find((r) => r.concurrency === 1);
  const report = { date: new Date().toISOString(), machine: machine(), images: images.length, rows, sigtermExit: exitCode, shutdown,
    speedup: base ? Object.fromEntries(rows.map((r) => [r.concurrency, Number((r.perSecond / base.perSecond).toFixed(2))])) : null };
  if (flags.json) console.log(JSON.stringify(report));
  else {
    console.log(`${report.date}  ${report.machine}; ${images.length} CIFAR-10 test images, raw planar bytes`);
    console.log('| concurrency | requests | requests/s | p50 | p99 | max | errors | non-2xx | live tensors | server RSS |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
    for (const r of rows) {
      console.log(`| ${r.concurrency} | ${r.requests} in ${r.seconds} s | ${r.perSecond}${base ? ` (${report.speedup[r.concurrency]}x)` : ''} | ${r.p50Ms} ms | ` +
        `${r.p99Ms} ms | ${r.maxMs} ms | ${r.errors} | ${r.non2xx} | ${r.liveTensors.join(' -> ')} | ${r.rssMiB.join(' -> ')} MiB |`);
    }
    const sd = shutdown;
    console.log(`SIGTERM under load (${sd.clients} clients): ${sd.answeredAfter} requests answered after it (${sd.okAfter} with 200), ` +
      `${sd.refused} refused (${Object.entries(sd.errors).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}), ` +
      `other statuses: ${JSON.stringify(sd.otherStatuses)}; exit code ${exitCode} after ${sd.exitMs} ms`);
  }
  if (rows.some((r) => r.errors || r.non2xx) || exitCode !== 0 || Object.keys(shutdown.otherStatuses).length) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
