// The example service under a mixed stream of good and bad requests: every bad one must get a
// 4xx with a message, every good one the prediction the model gives in-process, never a 5xx,
// and the server must stay up with its RSS within 10% of its warm value.
//
//   npm run build && node scripts/service/bad-input.mjs [--requests 10000] [--slow 40] [--timeout-ms 1000] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { encodePng, healthz, interleaved, machine, makeCheckpoint, startServe, testImages } from './harness.mjs';

/** The bad kinds, each with the status it must get. */
export const BAD_KINDS = {
  'wrong content type': 415, 'no content type': 415, 'truncated PNG': 400, 'corrupt PNG (bad CRC)': 400, 'image/jpeg body that is no image': 400,
  'raw image of the wrong length': 400, 'oversized (Content-Length)': 413, 'oversized (streamed)': 413, 'wrong path': 404,
  'wrong method': 405, 'garbage query string': 400, 'malformed request line': 400,
};

/** Sends one request; resolves with its status and parsed JSON body (null when none). */
function send(port, agent, { method = 'POST', path: p = '/predict', headers = {}, body, chunks }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = { unparsable: text.slice(0, 80) }; }
        resolve({ status: res.statusCode, body: json });
      });
    });
    req.on('error', reject);
    if (chunks) {
      for (const c of chunks) req.write(c);
      req.end();
    } else req.end(body);
  });
}

/** A raw exchange over its own socket: what comes back before the server closes it. */
function raw(port, text, { hold = false } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (c) => (reply += c));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(reply);
      const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
      let json = null;
      try { json = JSON.parse(body); } catch { /* reported as a missing message */ }
      resolve({ status: m ? Number(m[1]) : 0, body: json });
    });
    if (!hold) socket.setTimeout(30_000, () => socket.destroy());
  });
}

/** The request for bad case number `i` (cycling through the kinds). */
async function badRequest(i, image, maxBodyBytes) {
  const kinds = Object.keys(BAD_KINDS);
  const kind = kinds[i % kinds.length];
  const png = encodePng(interleaved(image.planar));
  const octet = { 'content-type': 'application/octet-stream' };
  switch (kind) {
    case 'wrong content type': return { kind, req: { headers: { 'content-type': ['text/plain', 'image/jpeg', 'application/json', 'multipart/form-data'][i % 4] }, body: image.planar } };
    case 'no content type': return { kind, req: { body: image.planar } };
    case 'truncated PNG': return { kind, req: { headers: { 'content-type': 'image/png' }, body: png.subarray(0, 8 + (i * 37) % (png.length - 20)) } };
    case 'corrupt PNG (bad CRC)': {
      const bad = Buffer.from(png);
      bad[41 + (i % 50)] ^= 0x5a; // inside IDAT: its CRC no longer matches
      return { kind, req: { headers: { 'content-type': 'image/png' }, body: bad } };
    }
    case 'image/jpeg body that is no image': return { kind, req: { headers: { 'content-type': 'image/jpeg' }, body: image.planar.subarray(0, 1000 + (i % 2000)) } };
    case 'raw image of the wrong length': return { kind, req: { headers: octet, body: image.planar.subarray(0, (i * 101) % 3072) } };
    case 'oversized (Content-Length)': return { kind, req: { headers: octet, body: Buffer.alloc(maxBodyBytes + 1 + i % 1000) } };
    case 'oversized (streamed)': return { kind, req: { headers: octet, chunks: Array.from({ length: 3 }, () => Buffer.alloc(Math.ceil(maxBodyBytes / 2) + 1)) } };
    case 'wrong path': return { kind, req: { path: ['/', '/predict/', '/predictions', '/healthz/x', '/%2e%2e/etc/passwd'][i % 5], headers: octet, body: image.planar } };
    case 'wrong method': return { kind, req: [{ method: 'GET' }, { method: 'PUT', headers: octet, body: image.planar }, { method: 'DELETE', path: '/healthz' }][i % 3] };
    case 'garbage query string': return { kind, req: { path: ['/predict?layout=%ZZ', '/predict?layout=diagonal', '/predict?x=1', '/predict?%00=', '/predict?layout=planar&layout=planar&q'][i % 5], headers: octet, body: image.planar } };
    case 'malformed request line': return { kind, raw: ['\x01\x02 GARBAGE\r\n\r\n', 'POST /predict HTTP/9.9\r\n\r\n', 'POST /predict HTTP/1.1\r\nContent-Length: x\r\n\r\n'][i % 3] };
    default: throw new Error(kind);
  }
}

/** The request for good case number `i`: raw planar, raw interleaved or PNG. */
async function goodRequest(i, image) {
  const octet = { 'content-type': 'application/octet-stream' };
  if (i % 3 === 0) return { path: '/predict?layout=planar', headers: octet, body: image.planar };
  if (i % 3 === 1) return { headers: octet, body: interleaved(image.planar) };
  return { headers: { 'content-type': 'image/png' }, body: encodePng(interleaved(image.planar)) };
}

/**
 * `requests` requests, half bad, `concurrency` at a time over keep-alive connections, plus `slow`
 * bodies that stall (cut by the server's timeout) meanwhile. Returns the counts and every failure.
 */
export async function mixedRun({ port, images, requests, slow, concurrency = 16, maxBodyBytes = 65536 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const counts = {};
  const failures = [];
  const count = (key) => (counts[key] = (counts[key] ?? 0) + 1);
  let statuses5xx = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const image = images[i % images.length];
      if (i % 2 === 0) {
        const r = await send(port, agent, await goodRequest(i >> 1, image));
        count(`good ${r.status}`);
        if (r.status >= 500) statuses5xx++;
        if (r.status !== 200 || r.body?.prediction !== image.predicted) failures.push({ kind: 'good', status: r.status, got: r.body?.prediction ?? r.body, expected: image.predicted });
      } else {
        const { kind, req, raw: text } = await badRequest(i >> 1, image, maxBodyBytes);
        const r = text ? await raw(port, text) : await send(port, agent, req);
        count(`${kind} ${r.status}`);
        if (r.status >= 500) statuses5xx++;
        if (r.status !== BAD_KINDS[kind] || typeof r.body?.error !== 'string' || r.body.error.length === 0) failures.push({ kind, status: r.status, body: r.body });
      }
    }
  };
  // slow-loris bodies: headers and part of the body, then nothing; the server must cut them (408)
  const slowOnes = Array.from({ length: slow }, async (_, k) => {
    await new Promise((resolve) => setTimeout(resolve, k * 25));
    const r = await raw(port, `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 3072\r\n\r\n${'x'.repeat(100 + k)}`, { hold: true });
    count(`slow body ${r.status}`);
    if (r.status !== 408 || typeof r.body?.error !== 'string') failures.push({ kind: 'slow body', status: r.status, body: r.body });
  });
  await Promise.all([...Array.from({ length: concurrency }, worker), ...slowOnes]);
  agent.destroy();
  return { counts, failures, statuses5xx };
}

async function main() {
  const { values: flags } = parseArgs({
    options: { requests: { type: 'string', default: '10000' }, slow: { type: 'string', default: '40' }, 'timeout-ms': { type: 'string', default: '1000' },
      checkpoint: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const requests = Number(flags.requests);
  const slow = Number(flags.slow);
  const timeoutMs = Number(flags['timeout-ms']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'torchnode-bad-input-'));
  try {
    const checkpoint = flags.checkpoint ?? await makeCheckpoint(dir);
    const images = await testImages(checkpoint, 500);
    const server = await startServe(checkpoint, ['--request-timeout-ms', String(timeoutMs)]);
    // warm: the same mix, so the allocator, V8 and every error path reach their working size
    await mixedRun({ port: server.port, images, requests: 1000, slow: 0 });
    const warm = await healthz(server.port);
    const started = Date.now();
    const result = await mixedRun({ port: server.port, images, requests, slow });
    const seconds = (Date.now() - started) / 1000;
    const end = await healthz(server.port);
    const exitCode = await server.stop();
    const rssChange = (end.rssBytes - warm.rssBytes) / warm.rssBytes;
    const report = { date: new Date().toISOString(), machine: machine(), requests, slow, timeoutMs, seconds, counts: result.counts,
      failures: result.failures.slice(0, 20), failureCount: result.failures.length, statuses5xx: result.statuses5xx,
      liveTensors: [warm.liveTensors, end.liveTensors], rssMiB: [warm.rssBytes, end.rssBytes].map((b) => Math.round(b / 2 ** 20)),
      rssChangePercent: Number((rssChange * 100).toFixed(1)), alive: end.status === 'ok', sigtermExit: exitCode };
    if (flags.json) console.log(JSON.stringify(report));
    else {
      console.log(`${report.date}  ${report.machine}`);
      console.log(`${requests} requests (half bad) + ${slow} stalled bodies in ${seconds.toFixed(1)} s; request timeout ${timeoutMs} ms`);
      for (const [k, n] of Object.entries(result.counts).sort()) console.log(`  ${String(n).padStart(6)}  ${k}`);
      console.log(`failures: ${report.failureCount}${report.failureCount ? ` (first: ${JSON.stringify(report.failures[0])})` : ''}; 5xx: ${report.statuses5xx}`);
      console.log(`server: alive ${report.alive}, live tensors ${report.liveTensors.join(' -> ')}, RSS ${report.rssMiB.join(' -> ')} MiB (${report.rssChangePercent}% from warm); exit after SIGTERM ${exitCode}`);
    }
    if (report.failureCount || report.statuses5xx || Math.abs(rssChange) > 0.1 || !report.alive || exitCode !== 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
