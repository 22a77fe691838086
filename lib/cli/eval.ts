// `torchnode eval`: test accuracy of a checkpoint.
import { native } from '../native.js';
import { CIFAR10_MEAN, CIFAR10_STD, loadCifar10 } from '../data/cifar10.js';
import { ImagePipeline } from '../data/pipeline.js';
import { evaluate } from '../train/trainer.js';
import { checkDevice } from '../device.js';
import { parseFlags, UsageError, type FlagKind } from './flags.js';
import { loadModelFile } from './model-file.js';

const KINDS: Record<string, FlagKind> = {
  checkpoint: 'string', model: 'string', stem: 'string', device: 'string', dataDir: 'string', dataSource: 'string',
  limitTest: 'number', batchSize: 'number', tta: 'boolean', json: 'boolean',
};

export const EVAL_USAGE = `Usage: torchnode eval --checkpoint FILE [options]

  --checkpoint FILE   model weights (.safetensors) written by torchnode train (or PyTorch)
  --model NAME --stem cifar|imagenet   when the file does not say
  --device D  --data-dir DIR  --data-source S  --limit-test N  --batch-size N  --[no-]tta  --json`;

export async function evalCommand(args: string[]): Promise<number> {
  const { options: o, positional } = parseFlags(args, KINDS);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (typeof o.checkpoint !== 'string') throw new UsageError('--checkpoint FILE is required');
  const device = checkDevice((o.device as string | undefined) ?? (native.cudaIsAvailable() ? 'cuda' : 'cpu'));
  const { model, info: { model: name } } = loadModelFile(o.checkpoint, { model: o.model as string, stem: o.stem as string, device });
  const test = await loadCifar10({ split: 'test', dir: o.dataDir as string, source: o.dataSource as never, limit: o.limitTest as number });
  const data = new ImagePipeline({ images: test.images, labels: test.labels, batchSize: (o.batchSize as number) ?? 500, device,
    mean: CIFAR10_MEAN, std: CIFAR10_STD });
  test.images.dispose();
  test.labels.dispose();
  const started = Date.now();
  const { loss, accuracy } = evaluate(model, data, { amp: 'none', tta: (o.tta as boolean) ?? true, device });
  const seconds = (Date.now() - started) / 1000;
  const result = { model: name, checkpoint: o.checkpoint, testAccuracy: accuracy, testLoss: loss, images: data.size, seconds, device };
  data.dispose();
  model.dispose();
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n`
    : `${name} ${o.checkpoint}: test accuracy ${(accuracy * 100).toFixed(2)}%, loss ${loss.toFixed(4)} on ${result.images} images (${seconds.toFixed(1)} s, ${device})\n`);
  return 0;
}
