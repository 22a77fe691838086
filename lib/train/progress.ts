// Progress output: a redrawn bar on a TTY, plain lines elsewhere (logs, CI, pipes).
import type { WriteStream } from 'node:tty';

export interface StepInfo {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
}

const duration = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

/**
 * Progress output of a training run: a redrawn bar on a TTY, a line every ~10 s elsewhere.
 * @example
 * new Trainer(config, { progress: new train.Progress(process.stdout) }); // or (stream, true): quiet
 */
export class Progress {
  readonly #out: NodeJS.WritableStream;
  readonly #tty: boolean;
  #lastLine = 0;

  constructor(out: NodeJS.WritableStream = process.stderr, readonly quiet = false) {
    this.#out = out;
    this.#tty = Boolean((out as WriteStream).isTTY);
  }

  /** A step's figures: redrawn in place on a TTY, a line every ~10 s otherwise. */
  step(s: StepInfo, secondsLeft: number): void {
    if (this.quiet) return;
    const text = `epoch ${s.epoch + 1}/${s.epochs} ${s.batch}/${s.batches} loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)} ` +
      `${Math.round(s.imagesPerSecond)} img/s ETA ${duration(secondsLeft)}`;
    if (this.#tty) {
      const width = Math.max(10, Math.min(30, ((this.#out as WriteStream).columns ?? 100) - text.length - 4));
      const filled = Math.round((width * s.batch) / s.batches);
      this.#out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else if (Date.now() - this.#lastLine > 10_000 || s.batch === s.batches) {
      this.#lastLine = Date.now();
      this.#out.write(`${text}\n`);
    }
  }

  /** A line that stays (end of an epoch, a message). */
  line(text: string): void {
    if (this.quiet) return;
    this.#out.write(this.#tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }
}
