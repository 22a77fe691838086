// The HTTP side of the example service: routes, answers as JSON, and a shutdown that stops
// accepting connections and lets the requests in flight finish.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import * as torch from 'torchnode';

import type { PredictBatcher } from './batcher.js';
import { BadRequestError, checkContentType, imagePlanes, type InputSize } from './image-input.js';
import { declaredTooLarge, discardBody, PayloadTooLargeError, readBody, RequestTimeoutError } from './read-body.js';

export interface ServiceOptions {
  /** The model's name and device, shown by /healthz. */
  model: string;
  device: string;
  /** Class names, by index. */
  classes: readonly string[];
  /** The [height, width] images are resized to (the checkpoint's input size). */
  inputSize: InputSize;
  /** The largest request body read; larger ones get 413. */
  maxBodyBytes: number;
  /** Predictions queued or computing at once; past it, 503 with Retry-After. */
  maxQueue: number;
  /** Time for a request's headers and body to arrive; past it, 408 and the connection is closed. */
  requestTimeoutMs: number;
}

export interface Service {
  server: Server;
  /** Stops accepting, finishes what is in flight; resolves when every connection has closed. */
  close(): Promise<void>;
}

/**
 * An HTTP server for `POST /predict` and `GET /healthz` (not yet listening).
 *
 * @example
 * const { server, close } = createService(new PredictBatcher(model, info), { model: 'resnet20', device: 'cpu', classes, inputSize: [32, 32],
 *   maxBodyBytes: 65536, maxQueue: 256, requestTimeoutMs: 10_000 });
 * server.listen(8080, '127.0.0.1');
 * process.once('SIGTERM', () => void close().then(() => process.exit(0)));
 */
export function createService(batcher: PredictBatcher, options: ServiceOptions): Service {
  let closing = false;
  let inFlight = 0; // predictions being read, queued or computed
  let admitted = 0; // predictions queued or computed: what maxQueue bounds
  let requests = 0;
  let refusedBusy = 0;
  // What is left of a refused body is read and dropped (never kept) up to this, so that a
  // client still sending reads its 413 rather than a reset; past it the connection is cut.
  const discardCap = Math.max(options.maxBodyBytes * 16, 16 << 20);

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = `${JSON.stringify(body)}\n`;
    // while closing, no connection is kept alive for another request
    if (closing) headers.connection = 'close';
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const health = () => {
    const m = torch.memory();
    return { status: closing ? 'stopping' : 'ok', model: options.model, device: options.device, inFlight, requests,
      queued: batcher.pending, refusedBusy, liveTensors: m.liveTensors, hostBytes: m.hostBytes, rssBytes: process.memoryUsage.rss(),
      limits: { maxBodyBytes: options.maxBodyBytes, maxQueue: options.maxQueue, requestTimeoutMs: options.requestTimeoutMs } };
  };

  async function predict(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    inFlight++;
    try {
      await answer(req, res, url);
    } finally {
      inFlight--;
    }
  }

  async function answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const type = checkContentType(req.headers['content-type']);
    const body = await readBody(req, options.maxBodyBytes, options.requestTimeoutMs);
    const planes = await imagePlanes(type, body, url.searchParams, options.inputSize);
    // a bounded queue: an overloaded server says so at once instead of letting waits grow
    if (admitted >= options.maxQueue) {
      refusedBusy++;
      throw new BadRequestError(`the server is busy (${admitted} predictions queued, at most ${options.maxQueue}); retry shortly`, 503, { 'retry-after': '1' });
    }
    admitted++;
    let p: Float32Array;
    try {
      p = await batcher.predict(planes);
    } finally {
      admitted--;
    }
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    const probabilities = Object.fromEntries(Array.from(p, (v, k) => [options.classes[k] ?? String(k), v]));
    send(res, 200, { prediction: options.classes[best] ?? String(best), probabilities });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests++;
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new BadRequestError(`${url.pathname} takes GET, not ${req.method}`, 405, { allow: 'GET, HEAD' });
      return send(res, 200, health());
    }
    if (url.pathname !== '/predict') throw new BadRequestError(`no such endpoint: ${req.method} ${url.pathname} (try POST /predict or GET /healthz)`, 404);
    if (req.method !== 'POST') throw new BadRequestError(`${url.pathname} takes POST, not ${req.method}`, 405, { allow: 'POST' });
    if (closing) throw new BadRequestError('the server is shutting down', 503);
    return predict(req, res, url);
  }

  // requests whose body was refused before it was sent (Expect: 100-continue)
  const unsent = new WeakSet<IncomingMessage>();
  // slow headers get Node's own 408; a late body ours (readBody); the check runs every second
  const server = createServer({ headersTimeout: options.requestTimeoutMs, requestTimeout: options.requestTimeoutMs + 1000,
    connectionsCheckingInterval: Math.min(1000, options.requestTimeoutMs) }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof BadRequestError || e instanceof PayloadTooLargeError || e instanceof RequestTimeoutError ? e.status : 500;
      if (status === 500) console.error('torchnode serve: request failed:', e);
      const headers = e instanceof BadRequestError ? { ...e.headers } : {};
      // a body never asked for will not come, and a late one is cut: no further request on this connection
      if (unsent.has(req) || e instanceof RequestTimeoutError) headers.connection = 'close';
      // a body refused unread is dropped as it arrives; the connection then serves the next request
      else if (!req.readableEnded) discardBody(req, discardCap);
      const message = status === 500 ? `inference failed: ${(e as Error).message}` : (e as Error).message;
      if (!res.headersSent) send(res, status, { error: message }, headers);
      else res.destroy();
      if (e instanceof RequestTimeoutError) res.once('finish', () => req.socket.destroy());
    });
  });
  // what Node's HTTP parser refuses (malformed or oversized headers, stalled headers) also gets a message
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    const [status, reason, message] = e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', `the request headers did not arrive within ${options.requestTimeoutMs} ms`]
      : e.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', `malformed HTTP request (${e.code ?? e.message})`];
    if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
      const text = `${JSON.stringify({ error: message })}\n`;
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    } else {
      socket.destroy();
    }
  });
  // curl and others ask first (Expect: 100-continue) before a large body: refuse it unsent
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredTooLarge(req, options.maxBodyBytes)) unsent.add(req);
    else res.writeContinue();
    server.emit('request', req, res);
  });

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => (closed ??= new Promise<void>((resolve) => {
    closing = true;
    server.close(() => resolve());
    server.closeIdleConnections();
  }).then(() => batcher.idle()));
  return { server, close };
}
