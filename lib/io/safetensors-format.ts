// The safetensors header: torchnode's dtypes under their safetensors names, encoding a header
// for a list of tensors, and decoding one with every check done before any data is read.
import type { DType } from '../dtype.js';

/** The safetensors name of each dtype and its size in bytes. */
export const FORMAT_DTYPES: Record<DType, { code: string; bytes: number }> = {
  float32: { code: 'F32', bytes: 4 }, float64: { code: 'F64', bytes: 8 }, float16: { code: 'F16', bytes: 2 },
  bfloat16: { code: 'BF16', bytes: 2 }, int64: { code: 'I64', bytes: 8 }, int32: { code: 'I32', bytes: 4 },
  int16: { code: 'I16', bytes: 2 }, int8: { code: 'I8', bytes: 1 }, uint8: { code: 'U8', bytes: 1 }, bool: { code: 'BOOL', bytes: 1 },
};
const BY_CODE = new Map(Object.entries(FORMAT_DTYPES).map(([dtype, f]) => [f.code, dtype as DType]));
const CODES = [...BY_CODE.keys()].join(', ');

/** The header key that holds string metadata rather than a tensor. */
export const METADATA_KEY = '__metadata__';

/** The reference implementation's limit; a larger header is treated as corrupt, not read. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's place in the data section, which starts right after the header. */
export interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface Header {
  /** In data order: for files torchnode writes, the order the tensors were saved in. */
  entries: Entry[];
  metadata: Record<string, string>;
}

/** Thrown by `decodeHeader` with the detail only; the caller adds the file's name. */
export class HeaderProblem extends Error {
  constructor(message: string, readonly tensor?: string) {
    super(message);
  }
}

/** Byte size of a tensor of `shape` and `dtype` (callers pass shapes libtorch already holds). */
export const byteSize = (dtype: DType, shape: number[]): number => shape.reduce((a, b) => a * b, FORMAT_DTYPES[dtype].bytes);

/**
 * The header for `entries` (laid out back to back in this order) as UTF-8 bytes, padded with
 * spaces so that the data section starts at a multiple of 8.
 */
export function encodeHeader(entries: Entry[], metadata: Record<string, string> | undefined): Uint8Array {
  // Built by hand, not with JSON.stringify(object): objects list integer-like keys first.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  for (const e of entries) {
    const info = { dtype: FORMAT_DTYPES[e.dtype].code, shape: e.shape, data_offsets: [e.begin, e.end] };
    parts.push(`${JSON.stringify(e.name)}:${JSON.stringify(info)}`);
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Buffer.alloc(json.length + ((8 - (json.length % 8)) % 8), ' ');
  json.copy(padded);
  return padded;
}

/** Text from the file made safe for a one-line message: control characters become \u escapes. */
const printable = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A tensor or metadata name, quoted, for messages. */
export const quote = (name: string): string => `'${printable(name)}'`;

/** A short JSON rendering of a header value for messages. */
function show(value: unknown): string {
  const s = value === undefined ? 'undefined' : printable(JSON.stringify(value));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

function decodeEntry(name: string, info: unknown, dataSize: number): Entry {
  const fail = (detail: string): never => {
    throw new HeaderProblem(`tensor ${quote(name)}: ${detail}`, name);
  };
  if (!isPlainObject(info)) fail(`expected an object {dtype, shape, data_offsets} but found ${show(info)}`);
  const fields = info as Record<string, unknown>;
  for (const key of ['dtype', 'shape', 'data_offsets']) if (!(key in fields)) fail(`the entry has no ${key}`);
  for (const key of Object.keys(fields)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail(`unexpected field ${quote(key)} (an entry holds dtype, shape and data_offsets)`);
  }
  const dtype = typeof fields.dtype === 'string' ? BY_CODE.get(fields.dtype) : undefined;
  if (dtype === undefined) fail(`unknown dtype ${show(fields.dtype)} (torchnode reads ${CODES})`);
  const shape = fields.shape;
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    fail(`shape must be an array of non-negative integers, not ${show(shape)}`);
  }
  const sizes = shape as number[];
  // libtorch refuses sizes whose product overflows 64 bits, even with a zero among them
  if (sizes.reduce((a, b) => a * BigInt(b || 1), 1n) * BigInt(FORMAT_DTYPES[dtype!].bytes) >= 2n ** 63n) {
    fail(`shape ${show(shape)} is too large: its sizes multiply past 2^63 bytes`);
  }
  const offsets = fields.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(Number.isSafeInteger) ||
    !(0 <= offsets[0] && offsets[0] <= offsets[1] && offsets[1] <= dataSize)) {
    fail(`data_offsets must be two integers [begin, end] with 0 <= begin <= end <= ${dataSize} (the data size), not ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const need = byteSize(dtype!, sizes);
  if (end - begin !== need) {
    fail(`shape ${show(shape)} of ${fields.dtype} needs ${need} bytes but data_offsets ${show(offsets)} hold ${end - begin}`);
  }
  return { name, dtype: dtype!, shape: sizes, begin, end };
}

function decodeMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new HeaderProblem(`${METADATA_KEY} must be an object of strings, not ${show(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new HeaderProblem(`${METADATA_KEY} must be an object of strings, but its value for ${quote(key)} is ${show(v)}`);
  }
  return { ...(value as Record<string, string>) };
}

/** Checks that the entries tile [0, dataSize) exactly, and returns them in data order. */
function checkLayout(entries: Entry[], dataSize: number): Entry[] {
  // Array.prototype.sort is stable, so ties (empty tensors) keep the header's order.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let last: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      throw new HeaderProblem(`tensors ${quote(last!.name)} and ${quote(e.name)} overlap: ${quote(last!.name)} covers data bytes ` +
        `[${last!.begin}, ${last!.end}) and ${quote(e.name)} begins at byte ${e.begin}`, e.name);
    }
    if (e.begin > covered) {
      throw new HeaderProblem(`data bytes [${covered}, ${e.begin}) belong to no tensor (a hole before ${quote(e.name)})`, e.name);
    }
    covered = e.end;
    last = e;
  }
  if (covered < dataSize) {
    const where = last === undefined ? 'the header lists no tensors' : `trailing bytes after ${quote(last.name)}, the last tensor`;
    throw new HeaderProblem(`data bytes [${covered}, ${dataSize}) belong to no tensor (${where})`);
  }
  return sorted;
}

/**
 * Decodes and checks a header: UTF-8 JSON object, well-formed entries, known dtypes, sizes
 * that match the shapes, offsets within `dataSize`, and tensors that tile the data section
 * with no overlaps, holes or trailing bytes. Throws a HeaderProblem on the first fault.
 */
export function decodeHeader(bytes: Uint8Array, dataSize: number): Header {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new HeaderProblem('the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HeaderProblem(`the header is not valid JSON (${printable((e as Error).message)})`);
  }
  if (!isPlainObject(json)) throw new HeaderProblem(`the header must be a JSON object but is ${kindOf(json)}`);
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = decodeMetadata(info);
    else entries.push(decodeEntry(name, info, dataSize));
  }
  return { entries: checkLayout(entries, dataSize), metadata };
}
