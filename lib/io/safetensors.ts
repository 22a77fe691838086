// torch.save / torch.load: state dicts as safetensors files (an 8-byte header length, a JSON
// header, then each tensor's raw little-endian bytes), written atomically and read defensively.
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

import { checkDevice, type Device } from '../device.js';
import { dtypeCode } from '../dtype.js';
import { CheckpointError, describe, TorchError } from '../errors.js';
import { native } from '../native.js';
import { deviceField, parseOptions } from '../options.js';
import { fromHandle, Tensor } from '../tensor.js';
import { writeFileAtomic } from './atomic-file.js';
import { byteSize, decodeHeader, encodeHeader, HeaderProblem, MAX_HEADER_BYTES, METADATA_KEY, quote, type Entry, type Header } from './safetensors-format.js';

export interface SaveOptions {
  /** Strings stored under the header's `__metadata__` key; read back with `loadMetadata`. */
  metadata?: Record<string, string>;
}

export interface LoadOptions {
  /** Where the tensors go: 'cpu' (the default), 'cuda' or 'cuda:N'. */
  device?: Device;
}

// Reads and writes go through views of at most this many bytes.
const PIECE_BYTES = 2 ** 30;

const saveOptions = z.strictObject({ metadata: z.unknown().optional() });
const loadOptions = z.strictObject({ device: deviceField.optional() });

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`Expected a non-empty string for path but received ${describe(path)}`);
  return path;
}

function checkEndianness(): void {
  // typed arrays use the machine's byte order and the format is little-endian
  if (os.endianness() !== 'LE') throw new TorchError('torchnode reads and writes safetensors files only on little-endian machines');
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

function checkMetadata(metadata: unknown): Record<string, string> {
  if (!isPlainObject(metadata)) throw new TypeError(`Expected an object of strings for metadata but received ${describe(metadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`Expected a string for metadata['${key}'] but received ${describe(value)}`);
  }
  return metadata as Record<string, string>;
}

/** The state dict's (name, tensor) pairs in order, every one checked before anything is written. */
function tensorsOf(stateDict: unknown): [string, Tensor][] {
  let pairs: [unknown, unknown][];
  if (stateDict instanceof Map) pairs = [...stateDict];
  else if (isPlainObject(stateDict)) pairs = Object.entries(stateDict);
  else throw new TypeError(`Expected a Map or a plain object of Tensors for stateDict but received ${describe(stateDict)}`);
  for (const [name, t] of pairs) {
    if (typeof name !== 'string') throw new TypeError(`Expected string keys in stateDict but received ${describe(name)}`);
    if (name === METADATA_KEY) throw new TypeError(`'${METADATA_KEY}' cannot name a tensor: safetensors keeps metadata under that key (pass options.metadata)`);
    if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for stateDict['${name}'] but received ${describe(t)}`);
    if (t.isDisposed) throw new TypeError(`stateDict['${name}'] has been disposed: a disposed tensor cannot be saved`);
  }
  return pairs as [string, Tensor][];
}

/**
 * Saves tensors to a safetensors file, replacing `path` atomically: the file is written beside
 * it, synced, then renamed over it, so on any error the old file is untouched. Tensors on any
 * device, of any dtype and memory layout are saved as contiguous little-endian bytes; the
 * file lists them in the state dict's order. File-system errors are Node's own.
 *
 * @example
 * torch.save({ weight: w, bias: b }, 'linear.safetensors', { metadata: { epoch: '3' } });
 */
export function save(stateDict: Map<string, Tensor> | Record<string, Tensor>, path: string, options?: SaveOptions): void {
  checkPath(path);
  const o = parseOptions(saveOptions, options, 'torch.save()');
  const metadata = o.metadata === undefined ? undefined : checkMetadata(o.metadata);
  const tensors = tensorsOf(stateDict);
  checkEndianness();
  let offset = 0;
  const entries: Entry[] = tensors.map(([name, t]) => {
    const dtype = t.dtype;
    const shape = t.shape;
    const begin = offset;
    offset += byteSize(dtype, shape);
    return { name, dtype, shape, begin, end: offset };
  });
  const header = encodeHeader(entries, metadata);
  if (header.byteLength > MAX_HEADER_BYTES) {
    throw new RangeError(`The header for these ${entries.length} tensors would be ${header.byteLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit of safetensors readers`);
  }
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.byteLength));
  writeFileAtomic(path, (write) => {
    write(length);
    write(header);
    tensors.forEach(([name, t], i) => {
      // one tensor's bytes at a time, so saving needs memory for the largest tensor only
      const data = t.toTypedArray();
      const e = entries[i]!;
      if (data.byteLength !== e.end - e.begin) throw new TorchError(`Tensor '${name}' changed size while being saved`);
      for (const piece of pieces(data.buffer, data.byteOffset, data.byteLength)) write(piece);
    });
  });
}

/** Byte views of at most 1 GiB covering [offset, offset + length) of `buffer`: tensors may pass the 4 GiB a Uint8Array can span. */
function* pieces(buffer: ArrayBufferLike, offset: number, length: number): Generator<Uint8Array> {
  for (let at = 0; at < length; at += PIECE_BYTES) yield new Uint8Array(buffer, offset + at, Math.min(PIECE_BYTES, length - at));
}

/** An open checkpoint and how to report what is wrong with it. */
interface OpenFile {
  fd: number;
  path: string;
  size: number;
  fail(detail: string, tensor?: string): never;
}

function withFile<T>(path: string, fn: (f: OpenFile) => T): T {
  const fd = fs.openSync(path, 'r');
  try {
    const fail = (detail: string, tensor?: string): never => {
      throw new CheckpointError(`Cannot load checkpoint '${path}': ${detail}`, path, tensor);
    };
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) fail('it is not a regular file');
    return fn({ fd, path, size: stat.size, fail });
  } finally {
    fs.closeSync(fd);
  }
}

/** Exactly `length` bytes at `position`; positions are validated, so a short read means the file changed. */
function readAt(f: OpenFile, position: number, length: number): ArrayBuffer {
  const buffer = new ArrayBuffer(length);
  let done = 0;
  for (const piece of pieces(buffer, 0, length)) {
    for (let got = 0; got < piece.byteLength;) {
      const n = fs.readSync(f.fd, piece, got, piece.byteLength - got, position + done);
      if (n === 0) f.fail(`the file ended at byte ${position + done} but was ${f.size} bytes when opened (did it change while loading?)`);
      got += n;
      done += n;
    }
  }
  return buffer;
}

/** libtorch assumes a bool is stored as 0 or 1; any other byte would give inconsistent results. */
function checkBool(f: OpenFile, e: Entry, buffer: ArrayBuffer): void {
  let start = 0;
  for (const piece of pieces(buffer, 0, buffer.byteLength)) {
    const i = piece.findIndex((b) => b > 1);
    if (i >= 0) f.fail(`tensor ${quote(e.name)}: BOOL data must be bytes 0 or 1, but byte ${start + i} of the tensor is ${piece[i]}`, e.name);
    start += piece.byteLength;
  }
}

/** A view of the whole buffer for the binding, whose element size divides its length (a Uint8Array stops at 4 GiB on Node 20). */
function viewOf(buffer: ArrayBuffer): ArrayBufferView {
  const n = buffer.byteLength;
  return n % 8 === 0 ? new Float64Array(buffer) : n % 4 === 0 ? new Float32Array(buffer) : n % 2 === 0 ? new Uint16Array(buffer) : new Uint8Array(buffer);
}

/** Reads and checks the whole header before any tensor is made. */
function readHeader(f: OpenFile): { header: Header; dataStart: number } {
  if (f.size < 8) f.fail(`the file is ${f.size} bytes long, shorter than the 8-byte header length a safetensors file starts with`);
  const n = Buffer.from(readAt(f, 0, 8)).readBigUInt64LE(0);
  const rest = f.size - 8;
  if (n > BigInt(rest)) f.fail(`the header length is ${n} bytes but only ${rest} bytes follow it`);
  if (n > BigInt(MAX_HEADER_BYTES)) f.fail(`the header length is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  const length = Number(n);
  try {
    return { header: decodeHeader(new Uint8Array(readAt(f, 8, length)), rest - length), dataStart: 8 + length };
  } catch (e) {
    if (e instanceof HeaderProblem) f.fail(e.message, e.tensor);
    throw e;
  }
}

/**
 * Loads the tensors of a safetensors file, in the order of their data (for files torchnode
 * writes, the order they were saved in). The whole header is checked before any tensor is
 * made, and nothing is read outside the file; a bad file (or BOOL data other than 0/1)
 * raises a `CheckpointError` naming the file and the tensor, and any tensor already made is
 * disposed. Loaded tensors do not require gradients. File-system errors (a missing file,
 * say) are Node's own.
 *
 * @example
 * const state = torch.load('linear.safetensors', { device: 'cuda' });
 * const w = state.get('weight')!;
 */
export function load(path: string, options?: LoadOptions): Map<string, Tensor> {
  checkPath(path);
  const o = parseOptions(loadOptions, options, 'torch.load()');
  const device = o.device === undefined ? 'cpu' : checkDevice(o.device);
  checkEndianness();
  return withFile(path, (f) => {
    const { header, dataStart } = readHeader(f);
    const out = new Map<string, Tensor>();
    try {
      for (const e of header.entries) {
        const bytes = readAt(f, dataStart + e.begin, e.end - e.begin);
        if (e.dtype === 'bool') checkBool(f, e, bytes);
        const cpu = fromHandle(native.fromBuffer(viewOf(bytes), dtypeCode(e.dtype), e.shape));
        out.set(e.name, cpu); // owned by `out` from here, so a failure below disposes it
        if (device !== 'cpu') {
          out.set(e.name, cpu.to(device));
          cpu.dispose();
        }
      }
      return out;
    } catch (err) {
      for (const t of out.values()) t.dispose();
      throw err;
    }
  });
}

/**
 * The `__metadata__` strings of a safetensors file (`{}` when it has none), after the same
 * checks of the header as `torch.load` makes; no tensor data is read.
 *
 * @example
 * const { epoch } = torch.loadMetadata('linear.safetensors');
 */
export function loadMetadata(path: string): Record<string, string> {
  checkPath(path);
  return withFile(path, (f) => readHeader(f).header.metadata);
}
