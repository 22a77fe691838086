// A PNG decoder for what the CIFAR-10 conversion needs: 8-bit RGB and RGBA, non-interlaced.
import { inflateSync } from 'node:zlib';

import { crc32 } from './crc32.js';
import { DatasetError } from './errors.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ONLY = 'only 8-bit RGB and RGBA PNGs are read';

/** A decoded PNG: `data` holds `height` rows of `width` pixels, `channels` bytes each (RGB or RGBA). */
export interface DecodedPng {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

type Fail = (detail: string) => DatasetError;

const ascii = (bytes: Uint8Array, at: number, n: number): string => String.fromCharCode(...bytes.subarray(at, at + n));
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function parseHeader(data: Uint8Array, fail: Fail): { width: number; height: number; channels: 3 | 4 } {
  if (data.length !== 13) throw fail(`its IHDR chunk has ${data.length} bytes where 13 belong`);
  const view = new DataView(data.buffer, data.byteOffset, 13);
  const [width, height] = [view.getUint32(0), view.getUint32(4)];
  const [depth, colour, compression, filter, interlace] = data.subarray(8, 13);
  if (width === 0 || height === 0) throw fail(`it is ${width}x${height}; both sides must be positive`);
  if (colour === 3) throw fail(`it uses a palette (colour type 3); ${ONLY}`);
  if (colour === 0 || colour === 4) throw fail(`it is greyscale (colour type ${colour}); ${ONLY}`);
  if (colour !== 2 && colour !== 6) throw fail(`it has colour type ${colour}, which PNG does not define`);
  if (depth !== 8) throw fail(`it has ${depth}-bit samples; ${ONLY}`);
  if (compression !== 0 || filter !== 0) throw fail(`it names compression method ${compression} and filter method ${filter}; PNG defines only 0`);
  if (interlace !== 0) throw fail(`it is interlaced (method ${interlace}); only non-interlaced PNGs are read`);
  const channels = colour === 2 ? 3 : 4;
  // Typed arrays stop at 2^32 bytes; a header claiming more is damaged or not meant for this.
  if (width * height * channels > 2 ** 32 - 1) throw fail(`its ${width}x${height} pixels are too many to decode`);
  return { width, height, channels };
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Undoes the per-row filters of `raw` (one filter byte, then `stride` bytes, per row). */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number, fail: Fail): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * stride);
  // Row -1 reads as zeros; a zero-filled row stands in for it.
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const up = y === 0 ? zero : out.subarray((y - 1) * stride, y * stride);
    // Uint8Array stores wrap modulo 256, as the filters require.
    switch (filter) {
      case 0: row.set(src); break;
      case 1: for (let i = 0; i < stride; i++) row[i] = src[i]! + (i >= bpp ? row[i - bpp]! : 0); break;
      case 2: for (let i = 0; i < stride; i++) row[i] = src[i]! + up[i]!; break;
      case 3: for (let i = 0; i < stride; i++) row[i] = src[i]! + (((i >= bpp ? row[i - bpp]! : 0) + up[i]!) >> 1); break;
      case 4:
        for (let i = 0; i < stride; i++) {
          row[i] = src[i]! + (i >= bpp ? paeth(row[i - bpp]!, up[i]!, up[i - bpp]!) : up[i]!);
        }
        break;
      default: throw fail(`row ${y} has filter type ${filter}; PNG defines 0 to 4`);
    }
  }
  return out;
}

/**
 * Decodes an 8-bit RGB or RGBA, non-interlaced PNG, checking every chunk's bounds and CRC;
 * anything else is a DatasetError naming `name` and what was wrong.
 *
 * @example
 * const png = decodePng(fs.readFileSync('image.png'), 'image.png');
 * const red = png.data[(y * png.width + x) * png.channels];
 */
export function decodePng(bytes: Uint8Array, name = 'image'): DecodedPng {
  const fail: Fail = (detail) => new DatasetError(`Cannot decode PNG ${name}: ${detail}`, name);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw fail('it does not start with the PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: ReturnType<typeof parseHeader> | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8, ended = false; !ended;) {
    if (at === bytes.length) throw fail('it is truncated: it ends before its IEND chunk');
    if (at + 12 > bytes.length) throw fail(`it is truncated: the chunk at byte ${at} has ${bytes.length - at} of its 12 framing bytes`);
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type)) throw fail(`the chunk at byte ${at} has the malformed type ${JSON.stringify(type)}`);
    if (at + 12 + length > bytes.length) {
      throw fail(`it is truncated: chunk ${type} at byte ${at} needs ${length + 12} bytes but ${bytes.length - at} remain`);
    }
    const stored = view.getUint32(at + 8 + length);
    const computed = crc32(bytes.subarray(at + 4, at + 8 + length));
    if (stored !== computed) throw fail(`chunk ${type} at byte ${at} has CRC ${hex(stored)} but its contents give ${hex(computed)}`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (at === 8 && type !== 'IHDR') throw fail(`its first chunk is ${type} where IHDR belongs`);
    if (type === 'IHDR') {
      if (header) throw fail(`it has a second IHDR chunk at byte ${at}`);
      header = parseHeader(data, fail);
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    } else if (type[0]! < 'a' && type !== 'PLTE') {
      // An uppercase first letter marks a chunk a decoder must understand to show the image right.
      throw fail(`it has the critical chunk ${type}, which this decoder does not know`);
    }
    at += 12 + length;
  }
  const { width, height, channels } = header!;
  if (idat.length === 0) throw fail('it has no IDAT chunk');
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat));
  } catch (e) {
    throw fail(`its image data does not inflate (${(e as Error).message})`);
  }
  const expected = height * (width * channels + 1);
  if (raw.length !== expected) {
    throw fail(`its image data inflates to ${raw.length} bytes but ${width}x${height} ${channels === 3 ? 'RGB' : 'RGBA'} needs ${expected}`);
  }
  return { width, height, channels, data: unfilter(raw, width, height, channels, fail) };
}
