// Progress of a data set fetch: the events sources report, and a bar drawn on a terminal's stderr.

/** One step of a fetch; `bytes`/`totalBytes` come with byte-counted downloads. */
export interface FetchProgress {
  source: 'download' | 'npm';
  stage: 'fetch' | 'extract' | 'convert' | 'write';
  /** The step in words, e.g. `converting data_batch_3.png`. */
  message: string;
  bytes?: number;
  totalBytes?: number;
}
export type ProgressFn = (event: FetchProgress) => void;

const mb = (n: number): string => (n / 1e6).toFixed(1);

/**
 * A progress reporter drawing on `stream` (stderr), or undefined when it is not a terminal:
 * byte counts become one redrawn bar, other steps one line each.
 *
 * @example
 * await fetchCifar10({ onProgress: terminalProgress() });
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressFn | undefined {
  if (!stream.isTTY) return undefined;
  let barOpen = false;
  let last = 0;
  return (event) => {
    if (event.bytes === undefined) {
      stream.write(`${barOpen ? '\n' : ''}${event.source}: ${event.message}\n`);
      barOpen = false;
      return;
    }
    const now = Date.now();
    const done = event.totalBytes !== undefined && event.bytes >= event.totalBytes;
    // Redraws are throttled: a fast link delivers thousands of chunks a second.
    if (barOpen && !done && now - last < 100) return;
    last = now;
    const total = event.totalBytes;
    const width = 30;
    const filled = total ? Math.min(width, Math.round((event.bytes / total) * width)) : 0;
    const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor((event.bytes / total) * 100)}% ` : '';
    stream.write(`\r${event.source}: ${bar}${mb(event.bytes)}${total ? ` / ${mb(total)}` : ''} MB`);
    barOpen = true;
    if (done) {
      stream.write('\n');
      barOpen = false;
    }
  };
}
