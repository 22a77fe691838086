// The canonical CIFAR-10 binary files, and the size and md5 check each one passes before use.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../io/atomic-file.js';
import { DatasetError } from './errors.js';

/** Bytes of one image: 1024 red, then 1024 green, then 1024 blue values, each row-major 32x32. */
export const IMAGE_BYTES = 3 * 32 * 32;
/** Bytes of one record: the label byte, then the image. */
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const RECORDS_PER_FILE = 10_000;
/** 30,730,000: every canonical file holds exactly 10,000 records. */
export const FILE_BYTES = RECORD_BYTES * RECORDS_PER_FILE;

/** The md5 of each canonical file, as published with the official archive. */
export const CIFAR10_MD5 = {
  'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
  'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
  'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
  'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
  'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
  'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
} as const;
export type Cifar10File = keyof typeof CIFAR10_MD5;

export const TRAIN_FILES: readonly Cifar10File[] = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const TEST_FILES: readonly Cifar10File[] = ['test_batch.bin'];
export const ALL_FILES: readonly Cifar10File[] = [...TRAIN_FILES, ...TEST_FILES];

const REFETCH = 'delete it or run `npx torchnode data cifar10` to fetch it again';

/** The md5 of `bytes` in lowercase hex. */
export const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** What is wrong with a file of `size` bytes, or undefined when the size is right. */
export const sizeProblem = (size: number): string | undefined =>
  size === FILE_BYTES ? undefined : `has ${size} bytes but the canonical one has ${FILE_BYTES}`;

/** What keeps `bytes` from being the canonical `name`, or undefined when they are. */
export function canonicalProblem(name: Cifar10File, bytes: Uint8Array): string | undefined {
  const size = sizeProblem(bytes.byteLength);
  if (size !== undefined) return size;
  const got = md5Hex(bytes);
  return got === CIFAR10_MD5[name] ? undefined : `has md5 ${got} but the canonical one is ${CIFAR10_MD5[name]}`;
}

/** The error for a CIFAR-10 file on disk that is not the canonical one. */
export const badFileError = (file: string, problem: string): DatasetError =>
  new DatasetError(`CIFAR-10 file ${file} ${problem}; ${REFETCH}`, file);

/** The first of `names` in `dir` that is not canonical (by size, and by md5 when `md5`), with its problem. */
export function findProblem(dir: string, names: readonly Cifar10File[], md5: boolean): { file: string; problem: string } | undefined {
  for (const name of names) {
    const file = path.join(dir, name);
    // The size comes first so that a wrong file is refused without reading it.
    const problem = sizeProblem(fs.statSync(file).size) ?? (md5 ? canonicalProblem(name, fs.readFileSync(file)) : undefined);
    if (problem !== undefined) return { file, problem };
  }
  return undefined;
}

/** Reads `dir/name`, throwing the error that names the file unless it is the canonical one. */
export function readCifar10File(dir: string, name: Cifar10File): Buffer {
  const file = path.join(dir, name);
  const size = sizeProblem(fs.statSync(file).size);
  if (size !== undefined) throw badFileError(file, size);
  const bytes = fs.readFileSync(file);
  const problem = canonicalProblem(name, bytes);
  if (problem !== undefined) throw badFileError(file, problem);
  return bytes;
}

/**
 * Writes `bytes` as `dir/name` atomically, after checking they are the canonical file; `origin`
 * says where they came from in the error, so bad bytes never reach the cache.
 */
export function writeCanonical(dir: string, name: Cifar10File, bytes: Uint8Array, origin: string): void {
  const problem = canonicalProblem(name, bytes);
  if (problem !== undefined) throw new DatasetError(`${name} from ${origin} ${problem}`);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, name), (write) => write(bytes));
}
