// torch.cuda.Stream and torch.cuda.Event: queues of device work and markers in them.
import { z } from 'zod';

import { checkDevice, cudaDeviceIndex } from './device.js';
import { describe } from './errors.js';
import { native, type CudaEventHandle, type CudaStreamHandle } from './native.js';
import { parseOptions } from './options.js';

const streamOptions = z.strictObject({
  device: z.union([z.number(), z.string()]).describe("a CUDA device ('cuda', 'cuda:N' or N)").optional(),
  /** 0 (normal) or -1 (high), as PyTorch: lower numbers run first. */
  priority: z.union([z.literal(0), z.literal(-1)]).describe('0 (normal) or -1 (high)').default(0),
});

/**
 * A CUDA stream: work queued on it runs in order, and in parallel with other streams' work.
 * Streams come from libtorch's pool, as in PyTorch.
 *
 * @example
 * const s = new torch.cuda.Stream();
 * s.waitStream(torch.cuda.currentStream());
 * torch.cuda.stream(s, () => model.forward(x));
 * torch.cuda.currentStream().waitStream(s);
 */
export class Stream {
  /** @internal */
  readonly _h: CudaStreamHandle;
  /** The CUDA device index. */
  readonly device: number;

  constructor(options?: z.input<typeof streamOptions>) {
    const o = parseOptions(streamOptions, options, 'new torch.cuda.Stream()');
    this.device = cudaDeviceIndex(o.device);
    this._h = native.cudaStreamNew(this.device, o.priority === -1);
  }

  /** @internal wraps a native stream */
  static _wrap(h: CudaStreamHandle): Stream {
    const s = Object.create(Stream.prototype) as { -readonly [K in keyof Stream]: Stream[K] };
    s._h = h;
    s.device = native.cudaStreamInfo(h).device;
    return s as Stream;
  }

  /** libtorch's id of the stream (equal ids: the same stream). */
  get id(): number {
    return native.cudaStreamInfo(this._h).id;
  }

  get priority(): number {
    return native.cudaStreamInfo(this._h).priority;
  }

  /** Whether all work queued so far has finished (no waiting). */
  query(): boolean {
    return native.cudaStreamQuery(this._h);
  }

  /** Blocks until all work queued so far has finished. */
  synchronize(): void {
    native.cudaStreamSynchronize(this._h);
  }

  /** Work queued on this stream from now on waits for the work `other` has queued so far. */
  waitStream(other: Stream): void {
    native.cudaStreamWaitStream(this._h, checkStream(other, 'other')._h);
  }

  /** Work queued on this stream from now on waits for `event`. */
  waitEvent(event: Event): void {
    checkEvent(event, 'event').wait(this);
  }

  /** Records `event` (a new one by default) at this point of the stream. */
  recordEvent(event: Event = new Event()): Event {
    checkEvent(event, 'event').record(this);
    return event;
  }

  equals(other: Stream): boolean {
    return other instanceof Stream && other.id === this.id && other.device === this.device;
  }
}

const eventOptions = z.strictObject({
  /** Record times, for elapsedTime(). */
  enableTiming: z.boolean().describe('a boolean').default(false),
  /** synchronize() sleeps instead of spinning. */
  blocking: z.boolean().describe('a boolean').default(false),
});

/**
 * A CUDA event: a marker in a stream's work, to wait for or to time.
 *
 * @example
 * const start = new torch.cuda.Event({ enableTiming: true }), end = new torch.cuda.Event({ enableTiming: true });
 * start.record(); step(); end.record(); end.synchronize();
 * console.log(start.elapsedTime(end), 'ms');
 */
export class Event {
  /** @internal */
  readonly _h: CudaEventHandle;

  constructor(options?: z.input<typeof eventOptions>) {
    const o = parseOptions(eventOptions, options, 'new torch.cuda.Event()');
    checkDevice('cuda');
    this._h = native.cudaEventNew(o.enableTiming, o.blocking);
  }

  /** Marks the current point of `stream` (the current stream of device 0 by default). */
  record(stream: Stream = currentStream()): void {
    native.cudaEventRecord(this._h, checkStream(stream, 'stream')._h);
  }

  /** Makes `stream`'s later work wait for this event. */
  wait(stream: Stream = currentStream()): void {
    native.cudaEventWait(this._h, checkStream(stream, 'stream')._h);
  }

  /** Whether the work before the recorded point has finished. */
  query(): boolean {
    return native.cudaEventQuery(this._h);
  }

  /** Blocks until the work before the recorded point has finished. */
  synchronize(): void {
    native.cudaEventSynchronize(this._h);
  }

  /** Milliseconds from this event to `end`; both recorded with enableTiming, and finished. */
  elapsedTime(end: Event): number {
    return native.cudaEventElapsed(this._h, checkEvent(end, 'end')._h);
  }
}

function checkStream(s: unknown, name: string): Stream {
  if (!(s instanceof Stream)) throw new TypeError(`Expected a torch.cuda.Stream for ${name} but received ${describe(s)}`);
  return s;
}

function checkEvent(e: unknown, name: string): Event {
  if (!(e instanceof Event)) throw new TypeError(`Expected a torch.cuda.Event for ${name} but received ${describe(e)}`);
  return e;
}

/** The stream new work on `device` goes to. @example torch.cuda.currentStream().synchronize(); */
export function currentStream(device?: number | string): Stream {
  return Stream._wrap(native.cudaStreamCurrent(cudaDeviceIndex(device)));
}

/** The device's default (legacy) stream. */
export function defaultStream(device?: number | string): Stream {
  return Stream._wrap(native.cudaStreamDefault(cudaDeviceIndex(device)));
}

/**
 * Runs `fn` with `s` as its device's current stream, then restores the previous one (also
 * when `fn` throws). `fn` must be synchronous: the stream is current only until it returns.
 *
 * @example torch.cuda.stream(side, () => loss.backward());
 */
export function stream<T>(s: Stream, fn: () => T): T {
  checkStream(s, 'stream');
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${describe(fn)}`);
  const previous = native.cudaStreamSet(s._h);
  try {
    return fn();
  } finally {
    native.cudaStreamSet(previous);
  }
}
