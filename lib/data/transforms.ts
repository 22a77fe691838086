// Image transforms on tensors, as torchvision.transforms.v2.functional computes them: one home
// for turning images into model inputs (the pipeline, the CLI's predict and the example service).
import { z } from 'zod';

import { describe } from '../errors.js';
import { pad } from '../functional.js';
import { mulberry32 } from '../mulberry32.js';
import { op } from '../ops/registry.js';
import { parseOptions } from '../options.js';
import { tidy } from '../scope.js';
import { handleOf, runT, type Tensor } from '../tensor.js';
import { tensor } from '../creation.js';

const ops = {
  bilinear: op('aten::upsample_bilinear2d.vec', ['input', 'output_size', 'align_corners', 'scale_factors']),
  // the antialiased kernel torchvision's resize uses (PIL's filter support); in libtorch since 1.11
  bilinearAa: op('aten::_upsample_bilinear2d_aa.vec', ['input', 'output_size', 'align_corners', 'scale_factors']),
  round: op('aten::round', ['self']),
};

/** Numbers in [0, 1): the random source of the random transforms. */
export type RandomSource = () => number;

/** A seeded random source (mulberry32), the same sequence on every platform. @example const g = transforms.seededRandom(0); */
export const seededRandom = (seed: number): RandomSource => {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`Expected an integer for seed but received ${describe(seed)}`);
  return mulberry32(seed);
};

function checkImage(x: unknown, what: string, dtypes?: readonly string[]): Tensor {
  handleOf(x, what);
  const t = x as Tensor;
  if (t.ndim !== 3 && t.ndim !== 4) throw new TypeError(`Expected an image [C, H, W] or a batch [N, C, H, W] for ${what} but received shape [${t.shape.join(', ')}]`);
  if (dtypes && !dtypes.includes(t.dtype)) throw new TypeError(`Expected a ${dtypes.join(' or ')} tensor for ${what} but received ${t.dtype}`);
  return t;
}

const dim = (what: string) => z.number().int().positive().describe(`a positive integer (${what})`);
const sizeField = z.union([dim('pixels'), z.tuple([dim('height'), dim('width')])]).describe('a positive integer or [height, width]');

function checkSize(size: unknown, what: string): number | [number, number] {
  const r = sizeField.safeParse(size);
  if (!r.success) throw new TypeError(`Expected a positive integer or [height, width] for ${what} but received ${describe(size)}`);
  return r.data;
}

const toTensorOptions = z.strictObject({
  layout: z.enum(['chw', 'hwc']).describe("'chw' or 'hwc'").default('chw'),
});

/**
 * uint8 pixels to float32 in [0, 1], channels first: [C, H, W] (or [N, C, H, W]), [H, W, C] with
 * `layout: 'hwc'` (as decoders give them), or [H, W] (grey). A float image is returned as a copy.
 *
 * @example
 * const x = data.transforms.toTensor(pixels, { layout: 'hwc' }); // [3, H, W], 0..1
 */
export function toTensor(image: Tensor, options?: z.input<typeof toTensorOptions>): Tensor {
  handleOf(image, 'image');
  const o = parseOptions(toTensorOptions, options, 'toTensor()');
  if (image.ndim < 2 || image.ndim > 4) throw new TypeError(`Expected an image [C, H, W], [H, W, C] or [H, W] for image but received shape [${image.shape.join(', ')}]`);
  return tidy(() => {
    let x = image.ndim === 2 ? image.unsqueeze(0) : o.layout === 'hwc' ? image.permute(image.ndim === 3 ? [2, 0, 1] : [0, 3, 1, 2]) : image;
    x = x.contiguous();
    return image.dtype === 'uint8' ? x.float().div(255) : x.float().clone();
  });
}

const normalizeOptions = z.strictObject({
  mean: z.array(z.number()).min(1).describe('an array of numbers, one per channel'),
  std: z.array(z.number().positive()).min(1).describe('an array of positive numbers, one per channel'),
});

/**
 * `(x - mean) / std` per channel of a float image [C, H, W] or batch [N, C, H, W].
 *
 * @example
 * const y = data.transforms.normalize(x, { mean: data.CIFAR10_MEAN, std: data.CIFAR10_STD });
 */
export function normalize(x: Tensor, options: { mean: readonly number[]; std: readonly number[] }): Tensor {
  const img = checkImage(x, 'x', ['float32', 'float64', 'float16', 'bfloat16']);
  const o = parseOptions(normalizeOptions, options, 'normalize()');
  const c = img.shape[img.ndim - 3]!;
  if (o.mean.length !== c || o.std.length !== c) throw new TypeError(`Expected ${c} values for mean and std (one per channel) but received ${o.mean.length} and ${o.std.length}`);
  return tidy(() => {
    const shape = [c, 1, 1];
    const mean = tensor(o.mean, { dtype: img.dtype, device: img.device }).view(...shape);
    const std = tensor(o.std, { dtype: img.dtype, device: img.device }).view(...shape);
    return img.sub(mean).div(std);
  });
}

const resizeOptions = z.strictObject({
  antialias: z.boolean().describe('a boolean').default(true),
});

/** The output size torchvision picks: an integer sets the shorter edge, keeping the aspect ratio. */
export function resizedSize(height: number, width: number, size: number | readonly [number, number]): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  const [short, long] = height <= width ? [height, width] : [width, height];
  if (short === size) return [height, width];
  const newLong = Math.trunc((size * long) / short);
  return height <= width ? [size, newLong] : [newLong, size];
}

/**
 * Bilinear resize of [C, H, W] or [N, C, H, W] to `size`: [height, width], or an integer for the
 * shorter edge. Antialiased by default, as torchvision's `resize` (same kernel, same values for
 * float input). uint8 images are resized in float32 and rounded back; torchvision on the CPU of
 * PyTorch 2.x takes a native uint8 kernel instead, which can differ from this by one level.
 *
 * @example
 * const small = data.transforms.resize(x, [32, 32]);
 */
export function resize(x: Tensor, size: number | readonly [number, number], options?: z.input<typeof resizeOptions>): Tensor {
  const img = checkImage(x, 'x', ['uint8', 'float32', 'float64']);
  const s = checkSize(size, 'size');
  const o = parseOptions(resizeOptions, options, 'resize()');
  const [h, w] = img.shape.slice(-2) as [number, number];
  const [oh, ow] = resizedSize(h, w, s);
  if (oh === h && ow === w) return img.clone();
  return tidy(() => {
    const batch = img.ndim === 3 ? img.unsqueeze(0) : img;
    const input = img.dtype === 'uint8' ? batch.float() : batch;
    let out = runT(o.antialias ? ops.bilinearAa : ops.bilinear, input._h, [oh, ow], false, null);
    if (img.dtype === 'uint8') out = runT(ops.round, out._h).clamp(0, 255).to('uint8');
    return img.ndim === 3 ? out.squeeze(0) : out;
  });
}

/**
 * The window at (`top`, `left`) of `height` x `width`; the parts outside the image are zeros,
 * as torchvision's `crop`.
 *
 * @example
 * const patch = data.transforms.crop(x, 4, 4, 24, 24);
 */
export function crop(x: Tensor, top: number, left: number, height: number, width: number): Tensor {
  const img = checkImage(x, 'x');
  for (const [v, what] of [[top, 'top'], [left, 'left']] as const) if (!Number.isSafeInteger(v)) throw new TypeError(`Expected an integer for ${what} but received ${describe(v)}`);
  for (const [v, what] of [[height, 'height'], [width, 'width']] as const) if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`Expected a positive integer for ${what} but received ${describe(v)}`);
  const [h, w] = img.shape.slice(-2) as [number, number];
  return tidy(() => {
    // the zero border a window reaching outside the image needs, on each side
    const [pt, pl, pb, pr] = [Math.max(0, -top), Math.max(0, -left), Math.max(0, top + height - h), Math.max(0, left + width - w)];
    const padded = pt || pl || pb || pr ? pad(img, [pl, pr, pt, pb]) : img;
    const d = img.ndim - 2;
    return padded.narrow(d, top + pt, height).narrow(d + 1, left + pl, width).contiguous();
  });
}

// Python's round(): halves go to the even neighbour (torchvision's center_crop uses it).
const roundHalfEven = (v: number): number => {
  const f = Math.floor(v);
  const diff = v - f;
  return diff > 0.5 ? f + 1 : diff < 0.5 ? f : f % 2 === 0 ? f : f + 1;
};

/**
 * The centre `size` ([height, width], or an integer for a square) of an image, zero-padded where
 * the image is smaller, as torchvision's `center_crop`.
 *
 * @example
 * const centre = data.transforms.centerCrop(x, 224);
 */
export function centerCrop(x: Tensor, size: number | readonly [number, number]): Tensor {
  const img = checkImage(x, 'x');
  const s = checkSize(size, 'size');
  const [ch, cw] = typeof s === 'number' ? [s, s] : s;
  const [h, w] = img.shape.slice(-2) as [number, number];
  // a larger crop pads first (the extra pixel right/bottom), then centres as below
  const top = ch > h ? -Math.floor((ch - h) / 2) : roundHalfEven((h - ch) / 2);
  const left = cw > w ? -Math.floor((cw - w) / 2) : roundHalfEven((w - cw) / 2);
  return crop(img, top, left, ch, cw);
}

const randomCropOptions = z.strictObject({
  size: sizeField,
  padding: z.number().int().nonnegative().describe('a non-negative integer').default(0),
  generator: z.custom<RandomSource>((v) => typeof v === 'function').describe('a function returning numbers in [0, 1)').optional(),
});

/**
 * A random `size` window of the image zero-padded by `padding` on each side (CIFAR's
 * augmentation: `{ size: 32, padding: 4 }`). Draws two numbers from `generator` (default Math.random).
 *
 * @example
 * const g = data.transforms.seededRandom(0);
 * const augmented = data.transforms.randomCrop(x, { size: 32, padding: 4, generator: g });
 */
export function randomCrop(x: Tensor, options: z.input<typeof randomCropOptions>): Tensor {
  const img = checkImage(x, 'x');
  const o = parseOptions(randomCropOptions, options, 'randomCrop()');
  const [ch, cw] = typeof o.size === 'number' ? [o.size, o.size] : o.size;
  const [h, w] = img.shape.slice(-2).map((v) => v + 2 * o.padding) as [number, number];
  if (ch > h || cw > w) throw new RangeError(`Expected a crop size within the padded image (${h}x${w}) for size but received ${ch}x${cw}`);
  const random = o.generator ?? Math.random;
  const top = Math.floor(random() * (h - ch + 1));
  const left = Math.floor(random() * (w - cw + 1));
  return crop(img, top - o.padding, left - o.padding, ch, cw);
}

/** The image mirrored left to right. @example const mirrored = data.transforms.hflip(x); */
export function hflip(x: Tensor): Tensor {
  const img = checkImage(x, 'x');
  return img.flip(img.ndim - 1);
}

const flipOptions = z.strictObject({
  p: z.number().min(0).max(1).describe('a probability from 0 to 1').default(0.5),
  generator: z.custom<RandomSource>((v) => typeof v === 'function').describe('a function returning numbers in [0, 1)').optional(),
});

/**
 * The image mirrored with probability `p` (default 0.5), one draw from `generator`; otherwise a copy.
 *
 * @example
 * const y = data.transforms.randomHorizontalFlip(x, { generator: data.transforms.seededRandom(1) });
 */
export function randomHorizontalFlip(x: Tensor, options?: z.input<typeof flipOptions>): Tensor {
  const img = checkImage(x, 'x');
  const o = parseOptions(flipOptions, options, 'randomHorizontalFlip()');
  return (o.generator ?? Math.random)() < o.p ? hflip(img) : img.clone();
}
