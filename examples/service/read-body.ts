// Request bodies read as a stream with a byte limit: an oversized body is refused as soon as it
// passes the limit (or at once, when its Content-Length says so) and is never held whole.
import type { IncomingMessage } from 'node:http';

/** A body over the limit: answered with 413. */
export class PayloadTooLargeError extends Error {
  readonly status = 413;
  constructor(readonly limit: number, received: string) {
    super(`the request body is ${received}; this server takes at most ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

/** A body that did not arrive in time (a slow or stalled client): answered with 408, connection closed. */
export class RequestTimeoutError extends Error {
  readonly status = 408;
  constructor(readonly timeoutMs: number, received: number) {
    super(`the request body did not arrive within ${timeoutMs} ms (${received} bytes received)`);
    this.name = 'RequestTimeoutError';
  }
}

/** Whether the request's Content-Length already says the body is over `limit`. */
export function declaredTooLarge(req: IncomingMessage, limit: number): PayloadTooLargeError | null {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limit ? new PayloadTooLargeError(limit, `${declared} bytes (Content-Length)`) : null;
}

/**
 * Reads the whole body of `req` if it has at most `limit` bytes and arrives within `timeoutMs`
 * (counted from now); rejects with PayloadTooLargeError as soon as it has more, having kept at
 * most `limit` bytes, or with RequestTimeoutError when time runs out.
 *
 * @example
 * const body = await readBody(req, 64 * 1024, 10_000);
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs = 0): Promise<Buffer> {
  const early = declaredTooLarge(req, limit);
  if (early) return Promise.reject(early);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = timeoutMs > 0 ? setTimeout(() => {
      done();
      chunks.length = 0;
      reject(new RequestTimeoutError(timeoutMs, size));
    }, timeoutMs) : undefined;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done();
        chunks.length = 0;
        reject(new PayloadTooLargeError(limit, `more than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * Throws away what is left of a refused body without keeping it, so the client can finish
 * sending and read the answer; past `cap` more bytes the connection is cut instead.
 */
export function discardBody(req: IncomingMessage, cap: number): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > cap) req.socket.destroy();
  });
  req.resume();
}
