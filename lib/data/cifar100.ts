// CIFAR-100 in its binary form (cifar-100-binary.tar.gz: train.bin, test.bin), each record one
// coarse label byte, one fine label byte, then 3,072 image bytes (1,024 R, G, B). Found in a given
// directory or the cache, else fetched from the official archive (its md5 checked) into the cache.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { parseOptions } from '../options.js';
import { downloadFile } from './download.js';
import { DatasetError, reasonOf } from './errors.js';
import { torchnodeHome } from './home.js';
import { terminalProgress, type ProgressFn } from './progress.js';
import { readTarGz } from './tar.js';

/** The official archive and its md5, as the CIFAR page lists them. */
export const CIFAR100_ARCHIVE = Object.freeze({ url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' });
const FOLDER = 'cifar-100-binary';
const IMAGE_BYTES = 3072;
const RECORD_BYTES = IMAGE_BYTES + 2;
/** Images per split. */
export const CIFAR100_SIZES = Object.freeze({ train: 50_000, test: 10_000 });

/** The 100 fine classes, indexed by fine label (the archive's fine_label_names.txt). */
export const CIFAR100_CLASSES = Object.freeze(['apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle',
  'bottle', 'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle', 'chair', 'chimpanzee',
  'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur', 'dolphin', 'elephant', 'flatfish', 'forest', 'fox',
  'girl', 'hamster', 'house', 'kangaroo', 'keyboard', 'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man',
  'maple_tree', 'motorcycle', 'mountain', 'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear',
  'pickup_truck', 'pine_tree', 'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider', 'squirrel', 'streetcar', 'sunflower',
  'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor', 'train', 'trout', 'tulip', 'turtle', 'wardrobe',
  'whale', 'willow_tree', 'wolf', 'woman', 'worm']);
/** The 20 superclasses, indexed by coarse label (coarse_label_names.txt). */
export const CIFAR100_COARSE_CLASSES = Object.freeze(['aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables',
  'household_electrical_devices', 'household_furniture', 'insects', 'large_carnivores', 'large_man-made_outdoor_things',
  'large_natural_outdoor_scenes', 'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates', 'people',
  'reptiles', 'small_mammals', 'trees', 'vehicles_1', 'vehicles_2']);
/** Per-channel mean and standard deviation of the training images in [0, 1]. */
export const CIFAR100_MEAN = Object.freeze([0.5071, 0.4865, 0.4409]);
export const CIFAR100_STD = Object.freeze([0.2673, 0.2564, 0.2762]);

/** Records as flat arrays: `count` images of 3x32x32 bytes and both labels of each. */
export interface Cifar100Arrays {
  images: Uint8Array;
  fine: BigInt64Array;
  coarse: BigInt64Array;
  count: number;
}

/**
 * Reads the first `limit` records (all by default) of a train.bin/test.bin `bytes`; `file` names
 * it in errors. A length that is not whole records, or a label out of range, is a DatasetError.
 *
 * @example
 * const { images, fine, count } = data.parseCifar100(fs.readFileSync('test.bin'), 'test.bin');
 */
export function parseCifar100(bytes: Uint8Array, file: string, limit?: number): Cifar100Arrays {
  if (bytes.byteLength % RECORD_BYTES !== 0) {
    throw new DatasetError(`CIFAR-100 file ${file} is ${bytes.byteLength} bytes, not a whole number of ${RECORD_BYTES}-byte records (coarse label, fine label, 3072 pixels)`, file);
  }
  const held = bytes.byteLength / RECORD_BYTES;
  if (limit !== undefined && limit > held) throw new DatasetError(`CIFAR-100 file ${file} holds ${held} records but ${limit} were asked for`, file);
  const count = limit ?? held;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const fine = new BigInt64Array(count);
  const coarse = new BigInt64Array(count);
  for (let r = 0; r < count; r++) {
    const at = r * RECORD_BYTES;
    const [c, f] = [bytes[at]!, bytes[at + 1]!];
    if (c >= 20 || f >= 100) throw new DatasetError(`CIFAR-100 file ${file} gives record ${r} the labels ${c} (coarse, 0 to 19) and ${f} (fine, 0 to 99)`, file);
    coarse[r] = BigInt(c);
    fine[r] = BigInt(f);
    images.set(bytes.subarray(at + 2, at + RECORD_BYTES), r * IMAGE_BYTES);
  }
  return { images, fine, coarse, count };
}

/** The cache folder of train.bin and test.bin, named as in the official archive. */
export const cifar100CacheDir = (): string => path.join(torchnodeHome(), 'cifar100', FOLDER);

const splitFile = (split: 'train' | 'test') => `${split}.bin`;
const wholeFile = (dir: string, split: 'train' | 'test'): boolean =>
  fs.statSync(path.join(dir, splitFile(split)), { throwIfNoEntry: false })?.size === CIFAR100_SIZES[split] * RECORD_BYTES;

/**
 * Downloads the archive `source` names, checks its md5, and writes its train.bin and test.bin
 * into `cacheDir` (each whole before it is renamed into place).
 */
export async function fetchCifar100Archive(cacheDir: string, progress?: ProgressFn,
  source: { url: string; md5: string } = { url: process.env.TORCHNODE_CIFAR100_URL || CIFAR100_ARCHIVE.url, md5: CIFAR100_ARCHIVE.md5 }): Promise<void> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const archive = path.join(path.dirname(cacheDir), `.cifar-100-binary.tar.gz.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    let md5: string;
    try {
      progress?.({ source: 'download', stage: 'fetch', message: `fetching ${source.url}` });
      md5 = await downloadFile(source.url, archive, {
        onBytes: (bytes, totalBytes) => progress?.({ source: 'download', stage: 'fetch', message: `fetching ${source.url}`, bytes, totalBytes }),
      });
    } catch (e) {
      throw new DatasetError(`CIFAR-100 could not be fetched: ${reasonOf(e)}. Put train.bin and test.bin from cifar-100-binary.tar.gz ` +
        'in a directory and pass it as dir, or set TORCHNODE_CIFAR100_URL to a mirror of the archive', source.url);
    }
    if (md5 !== source.md5) throw new DatasetError(`the archive from ${source.url} has md5 ${md5} but the canonical one is ${source.md5}`, source.url);
    progress?.({ source: 'download', stage: 'extract', message: `extracting ${FOLDER}/` });
    const members = new Map<string, Uint8Array>();
    for (const entry of readTarGz(fs.readFileSync(archive), source.url)) {
      const [folder, name] = entry.path.split('/').slice(-2);
      if (entry.type === 'file' && folder === FOLDER && name !== undefined) members.set(name, entry.data);
    }
    for (const split of ['train', 'test'] as const) {
      const bytes = members.get(splitFile(split));
      if (bytes === undefined) throw new DatasetError(`the archive from ${source.url} lacks ${FOLDER}/${splitFile(split)}`, source.url);
      const tmp = path.join(cacheDir, `.${splitFile(split)}.${process.pid}.tmp`);
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, path.join(cacheDir, splitFile(split)));
    }
  } finally {
    fs.rmSync(archive, { force: true });
  }
}

const loadOptions = z.strictObject({
  split: z.enum(['train', 'test']).describe("'train' or 'test'"),
  dir: z.string().min(1).describe('a directory path').optional(),
  source: z.enum(['dir', 'cache', 'download']).describe("'dir', 'cache' or 'download'").optional(),
  limit: z.number().int().nonnegative().describe('a non-negative integer').optional(),
  labels: z.enum(['fine', 'coarse']).describe("'fine' or 'coarse'").default('fine'),
  onProgress: z.custom<ProgressFn>((v) => typeof v === 'function').describe('a function').optional(),
});
export type LoadCifar100Options = z.input<typeof loadOptions>;

/** A loaded split: uint8 images [N, 3, 32, 32], int64 labels [N] (fine or coarse) and their class names. */
export interface Cifar100Data {
  images: Tensor;
  labels: Tensor;
  classes: readonly string[];
  source: 'dir' | 'cache' | 'download';
}

/** The folder holding `split`'s file: `dir` itself or its cifar-100-binary/ folder. */
function inDir(dir: string, split: 'train' | 'test'): string {
  const base = path.resolve(dir);
  const nested = path.join(base, FOLDER);
  return fs.existsSync(path.join(nested, splitFile(split))) ? nested : base;
}

/**
 * Loads the 'train' (50,000) or 'test' (10,000) split of CIFAR-100, or its first `limit` images,
 * with the fine (100) or coarse (20) labels. Looks in `dir` (the .bin files, or a
 * cifar-100-binary/ folder inside it), then in the cache (`TORCHNODE_HOME`), then fetches the
 * official archive into the cache; `source` picks one. `TORCHNODE_CIFAR100_URL` names a mirror.
 *
 * @example
 * const { images, labels, classes } = await data.loadCifar100({ split: 'test' });
 */
export async function loadCifar100(options: LoadCifar100Options): Promise<Cifar100Data> {
  const o = parseOptions(loadOptions, options, 'loadCifar100()');
  if (o.source === 'dir' && o.dir === undefined) throw new TypeError("loadCifar100(): source 'dir' needs the dir option, the directory holding train.bin and test.bin");
  if (o.limit !== undefined && o.limit > CIFAR100_SIZES[o.split]) {
    throw new RangeError(`loadCifar100(): limit ${o.limit} is more than the ${CIFAR100_SIZES[o.split]} images of the ${o.split} split`);
  }
  let dir: string;
  let source: Cifar100Data['source'];
  const wantDir = o.source === 'dir' || (o.source === undefined && o.dir !== undefined);
  if (wantDir) {
    dir = inDir(o.dir!, o.split);
    source = 'dir';
    if (!fs.existsSync(path.join(dir, splitFile(o.split)))) throw new DatasetError(`${dir} has no ${splitFile(o.split)} (CIFAR-100's binary version)`, dir);
  } else {
    dir = cifar100CacheDir();
    source = 'cache';
    if (o.source === 'download' || !wholeFile(dir, o.split)) {
      if (o.source === 'cache') throw new DatasetError(`the cache ${dir} has no whole ${splitFile(o.split)}: fetch it with source 'download'`, dir);
      await fetchCifar100Archive(dir, o.onProgress ?? terminalProgress());
      source = 'download';
    }
  }
  const file = path.join(dir, splitFile(o.split));
  const parsed = parseCifar100(fs.readFileSync(file), file, o.limit);
  if (source !== 'dir' && o.limit === undefined && parsed.count !== CIFAR100_SIZES[o.split]) {
    throw new DatasetError(`CIFAR-100 file ${file} holds ${parsed.count} records; the ${o.split} split has ${CIFAR100_SIZES[o.split]}`, file);
  }
  const images = tensor(parsed.images, { shape: [parsed.count, 3, 32, 32] });
  const labels = tensor(o.labels === 'fine' ? parsed.fine : parsed.coarse, { shape: [parsed.count] });
  return { images, labels, classes: o.labels === 'fine' ? CIFAR100_CLASSES : CIFAR100_COARSE_CLASSES, source };
}
