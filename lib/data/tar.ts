// A reader for the tar archives data sets ship in (ustar, with pax and GNU long names), over bytes in memory.
import { gunzipSync } from 'node:zlib';

import { DatasetError } from './errors.js';

const BLOCK = 512;

/** One archive member; `data` is a view into the archive's bytes, not a copy. */
export interface TarEntry {
  path: string;
  type: 'file' | 'directory' | 'other';
  data: Uint8Array;
}

const text = (bytes: Uint8Array): string => {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.buffer, bytes.byteOffset, end === -1 ? bytes.length : end).toString('utf8');
};

/** A numeric header field: octal text, or base-256 when the first byte's high bit is set (GNU, for sizes of 8 GiB and more). */
function numeric(field: Uint8Array): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = text(field).trim();
  return s === '' ? 0 : /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

/** The records of a pax extended header: `<length> <key>=<value>\n`, where the length counts the whole record. */
function paxRecords(data: Uint8Array, fail: (detail: string) => DatasetError): Map<string, string> {
  const records = new Map<string, string>();
  for (let at = 0; at < data.length;) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(text(data.subarray(at, space)));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length) throw fail('a pax header record is malformed');
    const record = Buffer.from(data.buffer, data.byteOffset + space + 1, at + length - space - 2).toString('utf8');
    const eq = record.indexOf('=');
    if (eq !== -1) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

/**
 * Lists the members of an uncompressed tar archive, checking each header's checksum and that
 * no member runs past the end; `name` labels errors.
 *
 * @example
 * for (const entry of readTar(fs.readFileSync('data.tar'), 'data.tar')) console.log(entry.path, entry.data.length);
 */
export function readTar(bytes: Uint8Array, name: string): TarEntry[] {
  const fail = (detail: string): DatasetError => new DatasetError(`Cannot read tar archive ${name}: ${detail}`, name);
  const entries: TarEntry[] = [];
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const header = bytes.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    // The checksum is the byte sum of the header with its own field read as spaces.
    let sum = 8 * 0x20;
    for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += header[i]!;
    if (numeric(header.subarray(148, 156)) !== sum) throw fail(`the header at byte ${at} is damaged (bad checksum)`);
    const flag = header[156] === 0 ? '0' : String.fromCharCode(header[156]!);
    const paxSize = pax.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : numeric(header.subarray(124, 136));
    if (!Number.isSafeInteger(size) || size < 0) throw fail(`the header at byte ${at} has a malformed size`);
    const start = at + BLOCK;
    if (start + size > bytes.length) {
      throw fail(`it is truncated: the member at byte ${at} needs ${size} bytes but ${bytes.length - start} remain`);
    }
    const data = bytes.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x') {
      pax = paxRecords(data, fail);
      continue;
    }
    if (flag === 'L') {
      longName = text(data);
      continue;
    }
    if (flag === 'g' || flag === 'K') continue;
    const ustar = text(header.subarray(257, 262)) === 'ustar';
    const prefix = ustar ? text(header.subarray(345, 500)) : '';
    const short = text(header.subarray(0, 100));
    const path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${short}` : short);
    const type = flag === '0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : 'other';
    entries.push({ path, type, data });
    pax = new Map();
    longName = undefined;
  }
  if (at < bytes.length) throw fail(`it is truncated: ${bytes.length - at} bytes at byte ${at} are less than a header`);
  return entries;
}

/** Gunzips `bytes` and lists the tar members inside. @example readTarGz(fs.readFileSync('x.tgz'), 'x.tgz') */
export function readTarGz(bytes: Uint8Array, name: string): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes);
  } catch (e) {
    throw new DatasetError(`Cannot read ${name}: it does not gunzip (${(e as Error).message})`, name);
  }
  return readTar(tar, name);
}
