// A data set of image files, one folder per class, as torchvision's ImageFolder finds them; PNG
// and JPEG of any size and colour type decoded by sharp (libvips), resized to one size so the
// whole set stacks into tensors for the on-device pipeline.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import type sharpFn from 'sharp';
import { z } from 'zod';

import { tensor } from '../creation.js';
import { describe } from '../errors.js';
import { parseOptions } from '../options.js';
import { keep, tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { stack } from '../functions.js';
import { exampleAt, type Dataset, type Example, type TensorDataset } from './dataset.js';
import { DatasetError } from './errors.js';
import { centerCrop, resize } from './transforms.js';

/** The file endings ImageFolder reads (compared lower-cased, as torchvision does). */
export const IMAGE_EXTENSIONS = Object.freeze(['.png', '.jpg', '.jpeg'] as const);

/** Decoded pixels: RGB bytes in rows (height x width x 3). */
export interface DecodedImage {
  data: Uint8Array;
  height: number;
  width: number;
}

type Sharp = typeof sharpFn;
let sharpModule: Promise<Sharp> | null = null;
// sharp is loaded on first use: torchnode's tensors do not need libvips
const loadSharp = (): Promise<Sharp> => (sharpModule ??= import('sharp').then((m) => m.default));

/**
 * A PNG or JPEG (file path or bytes) as RGB bytes. Grey becomes three equal channels, alpha is
 * dropped (as PIL's convert('RGB')), palettes are expanded, and 16-bit samples keep their high byte.
 *
 * @example
 * const { data, height, width } = await data.decodeImage('cat.jpg');
 */
export async function decodeImage(input: string | Uint8Array, name = typeof input === 'string' ? input : 'image'): Promise<DecodedImage> {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError(`Expected a file path or bytes for input but received ${describe(input)}`);
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(input, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width };
  } catch (e) {
    throw new DatasetError(`${name} could not be read as an image: ${(e as Error).message}`, name);
  }
}

/** How an image meets a fixed size: stretched to it, or its shorter edge resized and the centre kept. */
export type ImageFit = 'stretch' | 'cover';

/**
 * An image as uint8 [3, height, width] at `size` ([height, width] or a square's side), resized
 * with data.transforms.resize (bilinear, antialiased). The CLI's predict takes images the same way.
 *
 * @example
 * const x = await data.loadImage('cat.jpg', { size: 32 }); // uint8 [3, 32, 32]
 */
export async function loadImage(input: string | Uint8Array, options: { size: number | readonly [number, number]; fit?: ImageFit; name?: string }): Promise<Tensor<'uint8'>> {
  const [h, w] = typeof options.size === 'number' ? [options.size, options.size] : options.size;
  // `name`: what a decoding error calls the input (a path names itself)
  const img = await decodeImage(input, options.name);
  // uint8 in, uint8 out (resize rounds back)
  return tidy(() => {
    const chw = tensor(img.data, { shape: [img.height, img.width, 3] }).permute([2, 0, 1]).contiguous();
    if (img.height === h && img.width === w) return chw;
    if (options.fit === 'cover') {
      // the smallest scale at which the image covers the target, then its centre
      const s = Math.max(h / img.height, w / img.width);
      return centerCrop(resize(chw, [Math.max(h, Math.round(img.height * s)), Math.max(w, Math.round(img.width * s))]), [h, w]);
    }
    return resize(chw, [h, w]);
  }) as Tensor<'uint8'>;
}

/** The class folders of `root`, sorted, and each image file under them (sorted, subfolders included). */
export function findImageFiles(root: string): { classes: string[]; samples: [file: string, label: number][] } {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (e) {
    throw new DatasetError(`${root} cannot be read as an image folder: ${(e as Error).message}`, root);
  }
  // code-point order, as Python's sorted()
  const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const classes = entries.filter((e) => e.isDirectory() || (e.isSymbolicLink() && statSync(path.join(root, e.name)).isDirectory()))
    .map((e) => e.name).sort(byCodePoint);
  if (classes.length === 0) throw new DatasetError(`${root} holds no class folders: put each class's images in a folder named after it`, root);
  const samples: [string, number][] = [];
  const empty: string[] = [];
  classes.forEach((name, label) => {
    const before = samples.length;
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name))) {
        const full = path.join(dir, e.name);
        if (e.isDirectory() || (e.isSymbolicLink() && statSync(full).isDirectory())) walk(full);
        else if (IMAGE_EXTENSIONS.some((ext) => e.name.toLowerCase().endsWith(ext))) samples.push([full, label]);
      }
    };
    walk(path.join(root, name));
    if (samples.length === before) empty.push(name);
  });
  if (empty.length) throw new DatasetError(`${root}: found no image file for the classes ${empty.join(', ')}. Supported extensions are: ${IMAGE_EXTENSIONS.join(', ')}`, root);
  return { classes, samples };
}

const imageFolderOptions = z.strictObject({
  size: z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])])
    .describe('a positive integer or [height, width]'),
  fit: z.enum(['stretch', 'cover']).describe("'stretch' or 'cover'").default('stretch'),
  /** Images decoded at once. */
  concurrency: z.number().int().positive().describe('a positive integer').default(4),
});
export type ImageFolderOptions = z.input<typeof imageFolderOptions>;

/** An ImageFolder in memory: every image at one size, uint8 [N, 3, H, W], with int64 labels [N]. */
export class ImageFolder implements Dataset, TensorDataset {
  constructor(readonly root: string, readonly classes: readonly string[], readonly files: readonly string[],
    readonly images: Tensor, readonly labels: Tensor) {}

  get length(): number {
    return this.files.length;
  }

  /** Example `index`: its image (uint8 [3, H, W], a new tensor) and label. */
  get(index: number): Example {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.length) throw new RangeError(`Expected an index from 0 to ${this.length - 1} for index but received ${describe(index)}`);
    return exampleAt(this.images, this.labels, index);
  }

  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
  }
}

/**
 * Reads an image folder (`root/<class>/**.png|jpg|jpeg`, classes sorted by name as torchvision
 * sorts them, label = index) into memory at one `size`.
 *
 * @example
 * const flowers = await data.imageFolder('flowers/train', { size: 64 });
 * flowers.classes; // ['daisy', 'rose', ...]
 */
export async function imageFolder(root: string, options: ImageFolderOptions): Promise<ImageFolder> {
  if (typeof root !== 'string' || root === '') throw new TypeError(`Expected a directory for root but received ${describe(root)}`);
  const o = parseOptions(imageFolderOptions, options, 'imageFolder()');
  const [h, w] = typeof o.size === 'number' ? [o.size, o.size] : o.size;
  const { classes, samples } = findImageFiles(root);
  const bytes = new Uint8Array(samples.length * 3 * h * w);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < samples.length; i = next++) {
      const t = await loadImage(samples[i]![0], { size: [h, w], fit: o.fit });
      try {
        bytes.set(t.toTypedArray() as Uint8Array, i * 3 * h * w);
      } finally {
        t.dispose();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, samples.length) }, worker));
  const images = keep(tensor(bytes, { shape: [samples.length, 3, h, w] }));
  const labels = keep(tensor(BigInt64Array.from(samples, ([, label]) => BigInt(label))));
  return new ImageFolder(root, classes, samples.map(([f]) => f), images, labels);
}

/**
 * Any data set as tensors in memory (uint8 images [N, C, H, W], int64 labels [N]): every image
 * must have one shape. A TensorDataset is returned as it is.
 *
 * @example
 * const { images, labels } = data.toTensorDataset(myDataset);
 */
export function toTensorDataset(ds: Dataset | TensorDataset): TensorDataset {
  if ('images' in ds && 'labels' in ds) return ds;
  if (typeof ds?.get !== 'function' || !Number.isSafeInteger(ds.length)) throw new TypeError(`Expected a Dataset (length and get) for ds but received ${describe(ds)}`);
  if (ds.length === 0) throw new RangeError('Expected a data set with at least one example for ds but received an empty one');
  return tidy(() => {
    const examples = Array.from({ length: ds.length }, (_, i) => ds.get(i));
    const shape = examples[0]!.image.shape;
    examples.forEach(({ image }, i) => {
      if (image.dtype !== 'uint8' || image.shape.join() !== shape.join()) {
        throw new TypeError(`Expected uint8 images of one shape [${shape.join(', ')}] but example ${i} is ${image.dtype} [${image.shape.join(', ')}]`);
      }
    });
    const images = keep(stack(examples.map((e) => e.image)));
    const labels = keep(tensor(BigInt64Array.from(examples, (e) => BigInt(e.label))));
    return { images, labels, ...(ds.classes && { classes: ds.classes }) };
  });
}
