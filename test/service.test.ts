// The example service (examples/serve.ts, run as dist/examples/serve.js): predictions over HTTP,
// input validation, body limits, a burst without growth, and a graceful SIGTERM.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';

import * as torch from 'torchnode';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const serveJs = path.join(root, 'dist', 'examples', 'serve.js');
const LIMIT = 64 * 1024;
// how long the example's batcher waits idle before it trims the C library's arenas
const { TRIM_IDLE_MS } = await import(path.join(root, 'dist', 'examples', 'service', 'batcher.js')) as { TRIM_IDLE_MS: number };

interface Server {
  child: ChildProcess;
  url: URL;
  output: string[];
  exited: Promise<number | null>;
}

async function startServer(checkpoint: string, extra: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [serveJs, '--checkpoint', checkpoint, '--port', '0', '--max-body-bytes', String(LIMIT), ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output.push(String(chunk));
      const m = /listening on (http:\/\/\S+)/.exec(output.join(''));
      if (m) resolve(new URL(m[1]!));
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', (c: Buffer) => output.push(String(c)));
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${output.join('')}`)));
  });
  return { child, url, output, exited };
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: any }

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function request(url: URL, method: string, pathname: string, { body, headers = {} }: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(pathname, url), { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const predictRaw = (url: URL, bytes: Uint8Array, query = '') =>
  request(url, 'POST', `/predict${query}`, { body: bytes, headers: { 'content-type': 'application/octet-stream' } });
const predict = (url: URL, body: Uint8Array, type: string, query = '') => request(url, 'POST', `/predict${query}`, { body, headers: { 'content-type': type } });
const predictPng = (url: URL, png: Uint8Array, query = '') => predict(url, png, 'image/png', query);

/** A filter-0, one-IDAT PNG of `pixels` (`channels` bytes per pixel), as the service scripts write it. */
const { encodePng: png } = (await import(path.join(root, 'scripts', 'service', 'harness.mjs'))) as {
  encodePng(pixels: Uint8Array, o: { width: number; height: number; channels: 3 | 4 }): Buffer };
const encodePng = (width: number, height: number, channels: 3 | 4, pixels: Uint8Array): Buffer => png(pixels, { width, height, channels });

/** Deterministic pixel bytes. */
function pixels(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

const planar = (interleaved: Uint8Array, channels: number) => {
  const out = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[c * 1024 + p] = interleaved[p * channels + c]!;
  return out;
};

const healthz = async (url: URL) => (await request(url, 'GET', '/healthz')).body as { status: string; liveTensors: number; rssBytes: number; inFlight: number };

let dir: string;
let checkpoint: string;
let server: Server;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'torchnode-serve-'));
  checkpoint = path.join(dir, 'resnet20.safetensors');
  torch.manualSeed(0);
  const model = torch.models.resnet20();
  // move the batch-norm statistics off their defaults, so eval mode is exercised
  torch.tidy(() => torch.noGrad(() => model.forward(torch.randn([16, 3, 32, 32]).mul(2).add(0.5))));
  torch.tidy(() => torch.save(model.stateDict(), checkpoint, { metadata: { model: 'resnet20' } }));
  model.dispose();
  server = await startServer(checkpoint);
});

after(async () => {
  agent.destroy();
  if (server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output.join(''));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The probabilities the checkpoint gives in this process for uint8 images [N, 3, 32, 32], CIFAR-10-normalised as the server does. */
async function inProcess(images: torch.Tensor): Promise<number[][]> {
  const model = torch.train.loadModel(checkpoint);
  const { toTensor, normalize } = torch.data.transforms;
  const x = torch.tidy(() => normalize(toTensor(images), { mean: torch.data.CIFAR10_MEAN, std: torch.data.CIFAR10_STD }));
  const probs = await model.predict(x);
  const rows = probs.toArray() as number[][];
  for (const t of [x, probs]) t.dispose();
  model.dispose();
  return rows;
}

test('POST /predict answers a 32x32 PNG (RGB or RGBA) and raw RGB bytes with the probabilities the model gives in-process', async () => {
  const rgb = pixels(3072, 7);
  const rgba = new Uint8Array(4096);
  for (let p = 0; p < 1024; p++) rgba.set([...rgb.subarray(p * 3, p * 3 + 3), 255], p * 4);
  const replies = [
    await predictPng(server.url, encodePng(32, 32, 3, rgb)),
    await predict(server.url, encodePng(32, 32, 3, rgb), 'image/png; charset=binary'),
    await predictPng(server.url, encodePng(32, 32, 4, rgba)),
    await predictRaw(server.url, rgb),
    await predictRaw(server.url, planar(rgb, 3), '?layout=planar'),
  ];
  // the same image, computed here
  const model = torch.train.loadModel(checkpoint);
  const x = torch.tidy(() => torch.tensor(planar(rgb, 3), { shape: [1, 3, 32, 32] }).float().div(255)
    .sub(torch.tensor([...torch.data.CIFAR10_MEAN]).view(1, 3, 1, 1)).div(torch.tensor([...torch.data.CIFAR10_STD]).view(1, 3, 1, 1)));
  const probs = await model.predict(x);
  const expected = Array.from(probs.toTypedArray() as Float32Array);
  for (const t of [x, probs]) t.dispose();
  model.dispose();
  for (const r of replies) {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(r.body.probabilities), [...torch.data.CIFAR10_CLASSES]);
    const got = Object.values(r.body.probabilities) as number[];
    got.forEach((p, k) => assert.ok(Math.abs(p - expected[k]!) < 1e-5, `${torch.data.CIFAR10_CLASSES[k]}: ${p} vs ${expected[k]}`));
    assert.equal(r.body.prediction, torch.data.CIFAR10_CLASSES[expected.indexOf(Math.max(...expected))]);
  }
});

test('a PNG or JPEG of another size is resized to the checkpoint\'s input size as its training data was (data.loadImage)', async () => {
  const { default: sharp } = await import('sharp');
  const jpeg = await sharp(Buffer.from(pixels(20 * 12 * 3, 21)), { raw: { width: 20, height: 12, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  const small = encodePng(16, 16, 3, pixels(768, 1));
  const images = await Promise.all([jpeg, small].map((b) => torch.data.loadImage(b, { size: 32 })));
  const batch = torch.stack(images);
  const expected = await inProcess(batch);
  for (const t of [batch, ...images]) t.dispose();
  const replies = [await predict(server.url, jpeg, 'image/jpeg'), await predictPng(server.url, small)];
  replies.forEach((r, i) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const got = Object.values(r.body.probabilities) as number[];
    got.forEach((p, k) => assert.ok(Math.abs(p - expected[i]![k]!) < 1e-5, `image ${i}, ${torch.data.CIFAR10_CLASSES[k]}: ${p} vs ${expected[i]![k]}`));
  });
});

test('bad input gets a 4xx that says what was wrong, and the server stays up', async () => {
  const u = server.url;
  const cases: [Promise<Reply>, number, string][] = [
    [predictRaw(u, new Uint8Array(3071)), 400, 'a raw image must be 3072 bytes (32x32 pixels, 3 bytes each), not 3071'],
    [predictRaw(u, new Uint8Array(0)), 400, 'a raw image must be 3072 bytes (32x32 pixels, 3 bytes each), not 0'],
    [predictPng(u, pixels(3072, 2)), 400, 'the PNG in the request body could not be read as an image: Input buffer contains unsupported image format'],
    [predictPng(u, encodePng(32, 32, 3, pixels(3072, 3)).subarray(0, 200)), 400, 'the PNG in the request body could not be read as an image: '],
    [predict(u, new Uint8Array(0), 'image/jpeg'), 400, 'the JPEG in the request body could not be read as an image: '],
    [predictPng(u, encodePng(32, 32, 3, pixels(3072, 3)), '?layout=planar'), 400, 'layout applies to application/octet-stream bodies, not to PNGs or JPEGs'],
    [request(u, 'POST', '/predict', { body: pixels(3072, 4), headers: { 'content-type': 'text/plain' } }), 415, 'Content-Type must be image/png, image/jpeg, application/octet-stream, not "text/plain"'],
    [request(u, 'POST', '/predict', { body: pixels(3072, 4) }), 415, 'Content-Type must be image/png, image/jpeg, application/octet-stream, not missing'],
    [predictRaw(u, pixels(3072, 5), '?layout=diagonal'), 400, `layout must be 'interleaved' or 'planar', not "diagonal"`],
    [predictRaw(u, pixels(3072, 5), '?size=32'), 400, 'unknown query parameter "size"; the only one is layout'],
    [request(u, 'GET', '/predict'), 405, '/predict takes POST, not GET'],
    [request(u, 'DELETE', '/healthz'), 405, '/healthz takes GET, not DELETE'],
    [request(u, 'GET', '/nope'), 404, 'no such endpoint: GET /nope (try POST /predict or GET /healthz)'],
  ];
  for (const [reply, status, message] of cases) {
    const r = await reply;
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.ok(r.body.error.startsWith(message), `${r.body.error}\n  expected: ${message}`);
  }
  assert.equal((await request(u, 'GET', '/predict')).headers.allow, 'POST');
  assert.equal((await healthz(u)).status, 'ok');
  assert.equal((await predictRaw(u, pixels(3072, 6))).status, 200);
});

test('an oversized body gets 413 as soon as it passes the limit, without being read whole', async () => {
  const u = server.url;
  // declared too large: refused before reading
  const declared = await predictRaw(u, new Uint8Array(4 << 20));
  assert.equal(declared.status, 413);
  assert.equal(declared.body.error, `the request body is ${4 << 20} bytes (Content-Length); this server takes at most ${LIMIT} bytes`);
  // streamed without a length: the answer comes while the client is still sending
  const streamed = await new Promise<{ status: number; sent: number; body: any }>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(new URL('/predict', u), { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, sent, body: JSON.parse(Buffer.concat(chunks).toString()) });
      });
    });
    req.on('error', (e) => { if (!answered) reject(e); });
    const chunk = new Uint8Array(16 * 1024);
    void (async () => {
      // a chunk per millisecond, as a network would pace it, up to 64 MB: the answer must come long before
      while (!answered && sent < 64 << 20) {
        sent += chunk.length;
        if (!req.write(chunk)) await once(req, 'drain');
        await setTimeout(1);
      }
    })().catch(() => {}); // the request is destroyed once answered
  });
  assert.equal(streamed.status, 413);
  assert.equal(streamed.body.error, `the request body is more than ${LIMIT} bytes; this server takes at most ${LIMIT} bytes`);
  assert.ok(streamed.sent < 1 << 20, `the client had sent ${streamed.sent} bytes when the 413 came`);
  // Expect: 100-continue with a large Content-Length: the body is never sent
  const expect = await new Promise<{ status: number; continued: boolean; connection?: string }>((resolve, reject) => {
    let continued = false;
    const req = http.request(new URL('/predict', u), {
      method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(8 << 20), expect: '100-continue' },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, continued, connection: res.headers.connection });
      });
    });
    req.on('continue', () => { continued = true; req.destroy(); });
    req.on('error', (e) => { if (!continued) reject(e); });
    req.flushHeaders();
  });
  assert.deepEqual(expect, { status: 413, continued: false, connection: 'close' });
  assert.equal((await healthz(u)).status, 'ok');
});

test('a burst of 200 requests, 16 at a time: all answered, tensors back to baseline, RSS growth bounded', async () => {
  const u = server.url;
  const images = Array.from({ length: 8 }, (_, i) => pixels(3072, 100 + i));
  const burst = async (count: number, concurrency: number) => {
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        statuses.push((await predictRaw(u, images[i % images.length]!)).status);
      }
    }));
    return statuses;
  };
  await burst(64, 16); // warm: the allocator and V8 reach their working size
  const base = await healthz(u);
  const statuses = await burst(200, 16);
  assert.equal(statuses.length, 200);
  assert.ok(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)].join(', ')}`);
  const end = await healthz(u);
  assert.equal(end.liveTensors, base.liveTensors, 'every request tensor was freed');
  assert.equal(end.inFlight, 0);
  const grown = end.rssBytes - base.rssBytes;
  assert.ok(grown < 64 * 1024 * 1024, `RSS grew ${(grown / 2 ** 20).toFixed(1)} MB over the burst`);
});

/** A POST /predict whose body is sent in part: the reply comes when the server answers. */
function halfSent(url: URL, image: Uint8Array, sent: number) {
  const req = http.request(new URL('/predict', url), { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(image.length) } });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
  });
  req.write(image.subarray(0, sent));
  return { req, reply };
}

test('limits: a full queue answers 503 with Retry-After, a stalled body 408 and a closed connection, stalled or malformed headers a message', async () => {
  const own = await startServer(checkpoint, ['--max-queue', '2', '--request-timeout-ms', '600']);
  try {
    const image = pixels(3072, 11);
    const started = Date.now();
    const stalled = [halfSent(own.url, image, 1536), halfSent(own.url, image, 100)];
    // 24 at once against a queue of 2: the ones past it are refused at once, the others answered
    const burst = await Promise.all(Array.from({ length: 24 }, () => predictRaw(own.url, image)));
    const busy = burst.filter((r) => r.status === 503);
    assert.ok(busy.length >= 1, `statuses: ${burst.map((r) => r.status).join(', ')}`);
    assert.equal(burst.filter((r) => r.status === 200).length + busy.length, 24);
    for (const r of busy) {
      assert.equal(r.headers['retry-after'], '1');
      assert.equal(r.body.error, 'the server is busy (2 predictions queued, at most 2); retry shortly');
    }
    const [a, b] = await Promise.all(stalled.map((s) => s.reply));
    const waited = Date.now() - started;
    assert.ok(waited >= 600 && waited < 3000, `the stalled bodies were cut after ${waited} ms`);
    for (const [r, got] of [[a!, 1536], [b!, 100]] as const) {
      assert.equal(r.status, 408);
      assert.equal(r.headers.connection, 'close');
      assert.equal(r.body.error, `the request body did not arrive within 600 ms (${got} bytes received)`);
    }
    const rawExchange = async (text: string) => {
      const raw = net.connect(Number(own.url.port), own.url.hostname);
      raw.write(text);
      let reply = '';
      raw.on('data', (c: Buffer) => (reply += String(c)));
      await once(raw, 'close');
      return reply;
    };
    // headers that never finish, and a malformed request line: a status and a JSON message, then the socket closes
    const slow = await rawExchange('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: applic');
    assert.match(slow, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(slow.endsWith('{"error":"the request headers did not arrive within 600 ms"}\n'), slow);
    const garbage = await rawExchange('\x01\x02 GARBAGE\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\{"error":"malformed HTTP request \(HPE_[A-Z_]+\)"\}\n$/);
    const health = await healthz(own.url) as Awaited<ReturnType<typeof healthz>> & { refusedBusy: number; limits: unknown };
    assert.equal(health.inFlight, 0);
    assert.equal(health.refusedBusy, busy.length);
    assert.deepEqual(health.limits, { maxBodyBytes: LIMIT, maxQueue: 2, requestTimeoutMs: 600 });
  } finally {
    own.child.kill('SIGTERM');
    await own.exited;
  }
});

test('a mixed run of 1,200 requests, half bad, and stalled bodies: every bad one a 4xx with a message, every good one the in-process prediction, no 5xx, RSS within 10%', async () => {
  const harness = await import(path.join(root, 'scripts', 'service', 'harness.mjs'));
  const { mixedRun, BAD_KINDS } = await import(path.join(root, 'scripts', 'service', 'bad-input.mjs'));
  const own = await startServer(checkpoint, ['--request-timeout-ms', '500']);
  try {
    const images = await harness.testImages(checkpoint, 64);
    const port = Number(own.url.port);
    // warmed by the same mix, then read once the batcher has been idle long enough to hand freed
    // host memory back (examples/service/batcher.ts, TRIM_IDLE_MS): a leak would still show
    const settled = async () => {
      await setTimeout(TRIM_IDLE_MS + 300);
      return healthz(own.url);
    };
    await mixedRun({ port, images, requests: 1200, slow: 6, maxBodyBytes: LIMIT });
    const warm = await settled();
    const r = await mixedRun({ port, images, requests: 1200, slow: 6, maxBodyBytes: LIMIT });
    assert.deepEqual(r.failures, []);
    assert.equal(r.statuses5xx, 0);
    assert.equal(r.counts['good 200'], 600);
    assert.equal(r.counts['slow body 408'], 6);
    for (const [kind, status] of Object.entries(BAD_KINDS as Record<string, number>)) assert.ok(r.counts[`${kind} ${status}`] >= 50, `${kind}: ${JSON.stringify(r.counts)}`);
    const end = await settled();
    assert.equal(end.status, 'ok');
    assert.equal(end.liveTensors, warm.liveTensors);
    assert.ok(Math.abs(end.rssBytes - warm.rssBytes) / warm.rssBytes < 0.1, `RSS ${warm.rssBytes} -> ${end.rssBytes}`);
  } finally {
    own.child.kill('SIGTERM');
    assert.equal(await own.exited, 0, own.output.join(''));
  }
});

test('SIGTERM: the server stops accepting, finishes the requests in flight, and exits 0', async () => {
  const own = await startServer(checkpoint);
  try {
    const image = pixels(3072, 9);
    // four requests whose bodies are half sent: in flight on the server when SIGTERM comes
    const open = Array.from({ length: 4 }, () => halfSent(own.url, image, 1536));
    for (let i = 0; (await healthz(own.url)).inFlight < 4; i++) {
      assert.ok(i < 200, 'the four requests reached the server');
      await setTimeout(10);
    }
    own.child.kill('SIGTERM');
    await setTimeout(100);
    // no new connections
    await assert.rejects(new Promise((resolve, reject) => {
      http.get(new URL('/healthz', own.url), { agent: false }, resolve).on('error', reject);
    }), { code: 'ECONNREFUSED' });
    for (const { req } of open) req.end(image.subarray(1536));
    for (const { reply } of open) {
      const r = await reply;
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers.connection, 'close');
    }
    assert.equal(await own.exited, 0, own.output.join(''));
    assert.match(own.output.join(''), /SIGTERM: finishing the requests in flight\n[\s\S]*stopped\n/);
  } finally {
    if (own.child.exitCode === null) own.child.kill('SIGKILL');
  }
});
