// What POST /predict accepts, checked with zod: a 32x32 RGB(A) PNG (image/png), or the 3,072
// bytes of a 32x32 RGB image (application/octet-stream; ?layout=interleaved, the default, is
// R,G,B per pixel as most tools write raw RGB; ?layout=planar is CIFAR-10's 1,024 R, then G, then B).
import { data } from 'torchnode';
import { z } from 'zod';

/** A request the client got wrong: answered with `status`, `headers` and the message. */
export class BadRequestError extends Error {
  constructor(message: string, readonly status = 400, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'BadRequestError';
  }
}

export const IMAGE_BYTES = 3 * 32 * 32;
const TYPES = ['image/png', 'application/octet-stream'] as const;

const mediaType = z.enum(TYPES, {
  error: (issue) => `Content-Type must be ${TYPES.join(' or ')}, not ${issue.input === undefined ? 'missing' : JSON.stringify(issue.input)}`,
});

const query = z.strictObject({
  layout: z.enum(['interleaved', 'planar'], { error: (i) => `layout must be 'interleaved' or 'planar', not ${JSON.stringify(i.input)}` }).default('interleaved'),
}, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown query parameter ${i.keys.map((k) => JSON.stringify(k)).join(', ')}; the only one is layout` : undefined) });

const rawImage = z.instanceof(Uint8Array).refine((b) => b.length === IMAGE_BYTES, {
  error: (i) => `a raw image must be ${IMAGE_BYTES} bytes (32x32 pixels, 3 bytes each), not ${(i.input as Uint8Array).length}`,
});

const decodedPng = z.object({
  width: z.literal(32),
  height: z.literal(32),
}).loose();

function check<T>(schema: z.ZodType<T>, value: unknown, status = 400): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadRequestError(r.error.issues[0]!.message, status);
  return r.data;
}

/** The media type of a Content-Type header, checked (415 otherwise). */
export function checkContentType(header: string | undefined): (typeof TYPES)[number] {
  return check(mediaType, header?.split(';')[0]!.trim().toLowerCase(), 415);
}

/**
 * One request's image as planar RGB bytes [3, 32, 32], whatever form it came in; a
 * BadRequestError that says what was wrong otherwise.
 *
 * @example
 * const planes = imagePlanes('image/png', body, new URLSearchParams());
 */
export function imagePlanes(type: (typeof TYPES)[number], body: Uint8Array, params: URLSearchParams): Uint8Array {
  const { layout } = check(query, Object.fromEntries(params));
  if (type === 'application/octet-stream') {
    const bytes = check(rawImage, body);
    return layout === 'planar' ? bytes : toPlanar(bytes, 3);
  }
  if (params.has('layout')) throw new BadRequestError('layout applies to application/octet-stream bodies, not to PNGs');
  let png: data.DecodedPng;
  try {
    png = data.decodePng(body, 'in the request body');
  } catch (e) {
    throw new BadRequestError((e as Error).message);
  }
  const size = decodedPng.safeParse(png);
  if (!size.success) throw new BadRequestError(`the PNG is ${png.width}x${png.height}; the model takes 32x32 images`);
  return toPlanar(png.data, png.channels);
}

/** Pixel-major bytes (`channels` per pixel, RGB first) to three 32x32 planes. */
function toPlanar(pixels: Uint8Array, channels: number): Uint8Array {
  const planes = new Uint8Array(IMAGE_BYTES);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) planes[c * 1024 + p] = pixels[p * channels + c]!;
  return planes;
}
