// TensorBoard event files, written by hand: TFRecord framing (length, masked CRC32C) around
// Event protobufs with scalar summaries. Small, synchronous, no dependency.
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as TFRecord uses. @example crc32c(Buffer.from('123456789')) // 0xe3069283 */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// TFRecord stores CRCs rotated and offset, so that a CRC of CRCs is not trivially zero
const masked = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** One TFRecord: uint64 length, masked CRC of the length, the data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(masked(crc32c(out.subarray(0, 8))), 8);
  out.set(data, 12);
  out.writeUInt32LE(masked(crc32c(data)), 12 + data.length);
  return out;
}

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return bytes;
}

// protobuf fields: (number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32)
const lengthDelimited = (field: number, bytes: Uint8Array): Buffer => Buffer.from([...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]);

function summaryValue(tag: string, value: number): Buffer {
  const simple = Buffer.alloc(5);
  simple[0] = (2 << 3) | 5;
  simple.writeFloatLE(value, 1);
  return Buffer.concat([lengthDelimited(1, Buffer.from(tag, 'utf8')), simple] as Uint8Array[]);
}

/** An Event{wall_time, step, file_version | summary{value{tag, simple_value}...}} message. */
export function eventBytes(wallTime: number, step: number, body: { fileVersion: string } | { scalars: Record<string, number> }): Buffer {
  const head = Buffer.alloc(9);
  head[0] = (1 << 3) | 1;
  head.writeDoubleLE(wallTime, 1);
  const parts: Uint8Array[] = [head, Buffer.from([(2 << 3) | 0, ...varint(step)])];
  if ('fileVersion' in body) parts.push(lengthDelimited(3, Buffer.from(body.fileVersion, 'utf8')));
  else parts.push(lengthDelimited(5, Buffer.concat(Object.entries(body.scalars).map(([tag, v]) => lengthDelimited(1, summaryValue(tag, v))))));
  return Buffer.concat(parts);
}

/**
 * Writes scalars to a new `events.out.tfevents.*` file in `dir`, each event flushed as written.
 * @example
 * const tb = new train.TensorBoardWriter('runs/a');
 * tb.scalars(100, { 'train/loss': 1.23 }); tb.close();
 */
export class TensorBoardWriter {
  readonly file: string;
  #fd: number | null;

  constructor(dir: string) {
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.#fd = openSync(this.file, 'a');
    this.#write(eventBytes(Date.now() / 1000, 0, { fileVersion: 'brain.Event:2' }));
  }

  /** One event at `step` holding each named scalar (tags like 'train/loss'). */
  scalars(step: number, values: Record<string, number>): void {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    if (Object.keys(finite).length) this.#write(eventBytes(Date.now() / 1000, step, { scalars: finite }));
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #write(event: Buffer): void {
    if (this.#fd === null) throw new TypeError(`the TensorBoard writer of ${this.file} is closed`);
    writeSync(this.#fd, tfRecord(event));
  }
}
