// What POST /predict accepts, checked with zod: a PNG or JPEG of any size and colour type
// (image/png, image/jpeg), decoded and resized to the model's input size as its training data
// was (data.loadImage), or the raw bytes of an image already at that size
// (application/octet-stream; ?layout=interleaved, the default, is R,G,B per pixel as most tools
// write raw RGB; ?layout=planar is CIFAR-10's all R, then G, then B).
import { data } from 'torchnode';
import { z } from 'zod';

/** A request the client got wrong: answered with `status`, `headers` and the message. */
export class BadRequestError extends Error {
  constructor(message: string, readonly status = 400, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'BadRequestError';
  }
}

/** The [height, width] the model takes (its checkpoint's inputSize). */
export type InputSize = readonly [number, number];

const TYPES = ['image/png', 'image/jpeg', 'application/octet-stream'] as const;
export type MediaType = (typeof TYPES)[number];

const mediaType = z.enum(TYPES, {
  error: (issue) => `Content-Type must be ${TYPES.join(', ')}, not ${issue.input === undefined ? 'missing' : JSON.stringify(issue.input)}`,
});

const query = z.strictObject({
  layout: z.enum(['interleaved', 'planar'], { error: (i) => `layout must be 'interleaved' or 'planar', not ${JSON.stringify(i.input)}` }).default('interleaved'),
}, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown query parameter ${i.keys.map((k) => JSON.stringify(k)).join(', ')}; the only one is layout` : undefined) });

const rawImage = ([h, w]: InputSize) => z.instanceof(Uint8Array).refine((b) => b.length === 3 * h * w, {
  error: (i) => `a raw image must be ${3 * h * w} bytes (${w}x${h} pixels, 3 bytes each), not ${(i.input as Uint8Array).length}`,
});

function check<T>(schema: z.ZodType<T>, value: unknown, status = 400): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadRequestError(r.error.issues[0]!.message, status);
  return r.data;
}

/** The media type of a Content-Type header, checked (415 otherwise). */
export function checkContentType(header: string | undefined): MediaType {
  return check(mediaType, header?.split(';')[0]!.trim().toLowerCase(), 415);
}

/**
 * One request's image as planar RGB bytes [3, height, width] at the model's input size, whatever
 * form it came in; a BadRequestError that says what was wrong otherwise.
 *
 * @example
 * const planes = await imagePlanes('image/jpeg', body, new URLSearchParams(), [32, 32]);
 */
export async function imagePlanes(type: MediaType, body: Uint8Array, params: URLSearchParams, size: InputSize): Promise<Uint8Array> {
  const { layout } = check(query, Object.fromEntries(params));
  if (type === 'application/octet-stream') {
    const bytes = check(rawImage(size), body);
    return layout === 'planar' ? bytes : toPlanar(bytes, size);
  }
  if (params.has('layout')) throw new BadRequestError('layout applies to application/octet-stream bodies, not to PNGs or JPEGs');
  let image;
  try {
    image = await data.loadImage(body, { size, name: `the ${type === 'image/png' ? 'PNG' : 'JPEG'} in the request body` });
  } catch (e) {
    throw new BadRequestError((e as Error).message);
  }
  try {
    return image.toTypedArray();
  } finally {
    image.dispose();
  }
}

/** Pixel-major RGB bytes to three planes. */
function toPlanar(pixels: Uint8Array, [h, w]: InputSize): Uint8Array {
  const n = h * w;
  const planes = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) planes[c * n + p] = pixels[p * 3 + c]!;
  return planes;
}
