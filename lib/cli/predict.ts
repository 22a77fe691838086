// `torchnode predict`: class probabilities of 32x32 PNG images.
import { readFileSync } from 'node:fs';

import { checkDevice } from '../device.js';
import { tensor } from '../creation.js';
import { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD } from '../data/cifar10.js';
import { decodePng } from '../data/png.js';
import { native } from '../native.js';
import { tidy } from '../scope.js';
import { parseFlags, UsageError, type FlagKind } from './flags.js';
import { loadModelFile } from './model-file.js';

const KINDS: Record<string, FlagKind> = { checkpoint: 'string', model: 'string', stem: 'string', device: 'string', top: 'number', json: 'boolean' };

export const PREDICT_USAGE = `Usage: torchnode predict --checkpoint FILE IMAGE.png [IMAGE.png ...] [--top N] [--json]

Prints the most likely CIFAR-10 classes of each 32x32 RGB(A) PNG image.`;

/** A 32x32 PNG as planar RGB bytes [3, 32, 32]. */
export function pngToPlanes(bytes: Uint8Array, name: string): Uint8Array {
  const png = decodePng(bytes, name);
  if (png.width !== 32 || png.height !== 32) throw new UsageError(`${name} is ${png.width}x${png.height}; the model takes 32x32 images`);
  const planes = new Uint8Array(3 * 1024);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) planes[c * 1024 + p] = png.data[p * png.channels + c]!;
  return planes;
}

export async function predictCommand(args: string[]): Promise<number> {
  const { options: o, positional } = parseFlags(args, KINDS);
  if (typeof o.checkpoint !== 'string') throw new UsageError('--checkpoint FILE is required');
  if (!positional.length) throw new UsageError('give at least one PNG image');
  const top = (o.top as number | undefined) ?? 3;
  if (!Number.isInteger(top) || top < 1 || top > 10) throw new UsageError(`Expected an integer from 1 to 10 for --top but received '${top}'`);
  const device = checkDevice((o.device as string | undefined) ?? (native.cudaIsAvailable() ? 'cuda' : 'cpu'));
  const images = positional.map((f) => pngToPlanes(readFileSync(f), f));
  const { model } = loadModelFile(o.checkpoint, { model: o.model as string, stem: o.stem as string, device });
  const batch = new Uint8Array(images.length * 3072);
  images.forEach((img, i) => batch.set(img, i * 3072));
  const x = tidy(() => {
    const raw = tensor(batch, { shape: [images.length, 3, 32, 32] }).to({ device, dtype: 'float32' }).div(255);
    const mean = tensor([...CIFAR10_MEAN], { device }).view(1, 3, 1, 1);
    const std = tensor([...CIFAR10_STD], { device }).view(1, 3, 1, 1);
    return raw.sub(mean).div(std);
  });
  const probs = await model.predict(x);
  const rows = probs.toArray() as number[][];
  for (const t of [x, probs]) t.dispose();
  model.dispose();
  const results = rows.map((p, i) => ({
    image: positional[i]!,
    top: p.map((prob, k) => ({ class: CIFAR10_CLASSES[k]!, probability: prob })).sort((a, b) => b.probability - a.probability).slice(0, top),
  }));
  if (o.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else for (const r of results) process.stdout.write(`${r.image}: ${r.top.map((t) => `${t.class} ${(t.probability * 100).toFixed(1)}%`).join(', ')}\n`);
  return 0;
}
