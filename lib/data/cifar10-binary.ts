// Reads the CIFAR-10 binary format into flat arrays: one label byte then 3072 image bytes a record.
import path from 'node:path';

import { IMAGE_BYTES, readCifar10File, RECORD_BYTES, RECORDS_PER_FILE, type Cifar10File } from './cifar10-files.js';
import { DatasetError } from './errors.js';

/** A split as flat arrays: `images` holds `count` images of 3x32x32 bytes, `labels` their classes. */
export interface Cifar10Arrays {
  images: Uint8Array;
  labels: BigInt64Array;
  count: number;
}

/**
 * Copies the first `count` records of `bytes` into `images` and `labels`, starting at record `at`
 * of the output; `file` names the source in errors.
 */
export function decodeRecords(bytes: Uint8Array, count: number, images: Uint8Array, labels: BigInt64Array, at: number, file: string): void {
  if (count * RECORD_BYTES > bytes.byteLength) {
    throw new DatasetError(`CIFAR-10 file ${file} holds ${Math.floor(bytes.byteLength / RECORD_BYTES)} records but ${count} were asked for`, file);
  }
  for (let r = 0; r < count; r++) {
    const start = r * RECORD_BYTES;
    const label = bytes[start]!;
    if (label > 9) throw new DatasetError(`CIFAR-10 file ${file} gives record ${r} the label ${label}; labels are 0 to 9`, file);
    labels[at + r] = BigInt(label);
    images.set(bytes.subarray(start + 1, start + RECORD_BYTES), (at + r) * IMAGE_BYTES);
  }
}

/** Reads the first `count` records of `files` (in order) from `dir`, checking each file's md5 first. */
export function readCifar10Arrays(dir: string, files: readonly Cifar10File[], count: number): Cifar10Arrays {
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new BigInt64Array(count);
  for (let i = 0, at = 0; at < count; i++) {
    const name = files[i];
    if (name === undefined) throw new RangeError(`${count} records were asked for but ${files.length} files hold ${at}`);
    const n = Math.min(RECORDS_PER_FILE, count - at);
    decodeRecords(readCifar10File(dir, name), n, images, labels, at, path.join(dir, name));
    at += n;
  }
  return { images, labels, count };
}
