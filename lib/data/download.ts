// Downloads a URL to a file with node's fetch, hashing as it goes and giving up on a stalled link.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

import { reasonOf } from './errors.js';

/** Options of `downloadFile`; `stallMs` is how long without data counts as a dead link. */
export interface DownloadOptions {
  onBytes?: (bytes: number, totalBytes: number | undefined) => void;
  stallMs?: number;
}

/**
 * Downloads `url` into `file` (which must not exist) and returns the md5 of what arrived.
 * Throws on an HTTP error, a short body or `stallMs` without data; `file` may then hold part.
 *
 * @example
 * const md5 = await downloadFile('https://example.com/x.tar.gz', '/tmp/x.tar.gz');
 */
export async function downloadFile(url: string, file: string, { onBytes, stallMs = 60_000 }: DownloadOptions = {}): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no data from ${url} for ${stallMs / 1000} s`)), stallMs);
  const fd = fs.openSync(file, 'wx');
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal });
    } catch (e) {
      // fetch says only "fetch failed"; the URL and the system code (ENOTFOUND, ECONNREFUSED) say why.
      throw controller.signal.aborted ? e : new Error(`cannot reach ${url}: ${reasonOf(e)}`);
    }
    if (!response.ok || response.body === null) throw new Error(`${url} answered HTTP ${response.status} ${response.statusText}`.trim());
    const header = response.headers.get('content-length');
    const total = header === null ? undefined : Number(header);
    const hash = createHash('md5');
    let received = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      timer.refresh();
      hash.update(chunk);
      for (let done = 0; done < chunk.byteLength;) done += fs.writeSync(fd, chunk, done, chunk.byteLength - done, received + done);
      received += chunk.byteLength;
      onBytes?.(received, total);
    }
    if (total !== undefined && received !== total) throw new Error(`the download of ${url} stopped at ${received} of ${total} bytes`);
    return hash.digest('hex');
  } finally {
    clearTimeout(timer);
    fs.closeSync(fd);
  }
}
