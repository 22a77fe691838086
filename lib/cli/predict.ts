// `torchnode predict`: class probabilities of PNG/JPEG images of any size, each resized to the
// model's training size and normalised as its training data (both read from the checkpoint).
import { checkDevice } from '../device.js';
import { stack } from '../functions.js';
import { DatasetError } from '../data/errors.js';
import { loadImage } from '../data/image-folder.js';
import { normalize, toTensor } from '../data/transforms.js';
import { native } from '../native.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { parseFlags, UsageError, type FlagKind } from './flags.js';
import { loadModelFile } from './model-file.js';

const KINDS: Record<string, FlagKind> = { checkpoint: 'string', model: 'string', stem: 'string', device: 'string', top: 'number', json: 'boolean' };

export const PREDICT_USAGE = `Usage: torchnode predict --checkpoint FILE IMAGE [IMAGE ...] [--top N] [--json]

Prints the most likely classes of each PNG or JPEG image (any size and colour type), resized
to the size the model was trained on.

  --checkpoint FILE   model weights (.safetensors) written by torchnode train (or PyTorch)
  --model NAME --stem cifar|imagenet   when the file does not say
  --device D  --top N (1 to 10, default 3)  --json`;

export async function predictCommand(args: string[]): Promise<number> {
  const { options: o, positional } = parseFlags(args, KINDS);
  if (typeof o.checkpoint !== 'string') throw new UsageError('--checkpoint FILE is required');
  if (!positional.length) throw new UsageError('give at least one PNG or JPEG image');
  const top = (o.top as number | undefined) ?? 3;
  if (!Number.isInteger(top) || top < 1 || top > 10) throw new UsageError(`Expected an integer from 1 to 10 for --top but received '${top}'`);
  const device = checkDevice((o.device as string | undefined) ?? (native.cudaIsAvailable() ? 'cuda' : 'cpu'));
  const { model, info } = loadModelFile(o.checkpoint, { model: o.model as string, stem: o.stem as string, device });
  try {
    const images: Tensor[] = [];
    for (const f of positional) {
      try {
        images.push(await loadImage(f, { size: info.inputSize }));
      } catch (e) {
        // an unreadable image is a wrong argument, not a crash
        if (e instanceof DatasetError) throw new UsageError(e.message);
        throw e;
      }
    }
    const x = tidy(() => normalize(toTensor(stack(images)).to(device), { mean: info.mean, std: info.std }));
    for (const t of images) t.dispose();
    const probs = await model.predict(x);
    const rows = probs.toArray() as number[][];
    for (const t of [x, probs]) t.dispose();
    const results = rows.map((p, i) => ({
      image: positional[i]!,
      top: p.map((prob, k) => ({ class: info.classes[k]!, probability: prob })).sort((a, b) => b.probability - a.probability).slice(0, Math.min(top, p.length)),
    }));
    if (o.json) process.stdout.write(`${JSON.stringify(results)}\n`);
    else for (const r of results) process.stdout.write(`${r.image}: ${r.top.map((t) => `${t.class} ${(t.probability * 100).toFixed(1)}%`).join(', ')}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
