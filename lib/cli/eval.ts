// `torchnode eval`: test accuracy of a checkpoint on the data set it was trained on (--data, else the
// run's config.json beside it, else CIFAR-10/100 by its class count), normalised as its metadata says.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { native } from '../native.js';
import { ImagePipeline } from '../data/pipeline.js';
import { loadTestByName } from '../train/data-by-name.js';
import { evaluate } from '../train/trainer.js';
import { checkDevice } from '../device.js';
import { parseFlags, UsageError, type FlagKind } from './flags.js';
import { loadModelFile } from './model-file.js';

const KINDS: Record<string, FlagKind> = {
  checkpoint: 'string', model: 'string', stem: 'string', device: 'string', data: 'string', dataDir: 'string', dataSource: 'string',
  limitTest: 'number', batchSize: 'number', tta: 'boolean', json: 'boolean',
};

export const EVAL_USAGE = `Usage: torchnode eval --checkpoint FILE [options]

  --checkpoint FILE   model weights (.safetensors) written by torchnode train (or PyTorch)
  --model NAME --stem cifar|imagenet   when the file does not say
  --data cifar10|cifar100|imagefolder:PATH   the evaluation split (an image folder's val/ or test/);
                      default: the run's config.json beside the checkpoint, else by its class count
  --device D  --data-dir DIR  --data-source S  --limit-test N  --batch-size N  --[no-]tta  --json`;

/** The data a checkpoint is evaluated on when --data does not say, and the data dir its run used. */
function dataOf(checkpoint: string, numClasses: number): { data: string; dataDir?: string } {
  const config = path.join(path.dirname(checkpoint), 'config.json');
  if (existsSync(config)) {
    try {
      const c = JSON.parse(readFileSync(config, 'utf8')) as { data?: unknown; dataDir?: unknown };
      if (typeof c.data === 'string') return { data: c.data, ...(typeof c.dataDir === 'string' && { dataDir: c.dataDir }) };
    } catch {
      // not a run's config: fall back to the class count
    }
  }
  if (numClasses === 10) return { data: 'cifar10' };
  if (numClasses === 100) return { data: 'cifar100' };
  throw new UsageError(`${checkpoint} has ${numClasses} classes and no run config.json beside it: pass --data cifar10|cifar100|imagefolder:PATH`);
}

export async function evalCommand(args: string[]): Promise<number> {
  const { options: o, positional } = parseFlags(args, KINDS);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (typeof o.checkpoint !== 'string') throw new UsageError('--checkpoint FILE is required');
  const device = checkDevice((o.device as string | undefined) ?? (native.cudaIsAvailable() ? 'cuda' : 'cpu'));
  const { model, info } = loadModelFile(o.checkpoint, { model: o.model as string, stem: o.stem as string, device });
  const name = info.model;
  const named = typeof o.data === 'string' ? { data: o.data } : dataOf(o.checkpoint, info.numClasses);
  let test;
  try {
    test = await loadTestByName(named.data, { dataDir: (o.dataDir as string | undefined) ?? named.dataDir, dataSource: o.dataSource as string,
      limit: o.limitTest as number, size: info.inputSize });
  } catch (e) {
    model.dispose();
    throw e instanceof TypeError ? new UsageError(e.message) : e;
  }
  if (test.classes.length !== info.numClasses) {
    test.images.dispose();
    test.labels.dispose();
    model.dispose();
    throw new UsageError(`${o.checkpoint} has ${info.numClasses} classes but ${named.data} has ${test.classes.length} (${test.classes.slice(0, 5).join(', ')}${test.classes.length > 5 ? ', ...' : ''})`);
  }
  const data = new ImagePipeline({ images: test.images, labels: test.labels, batchSize: (o.batchSize as number) ?? 500, device,
    mean: info.mean, std: info.std });
  test.images.dispose();
  test.labels.dispose();
  const started = Date.now();
  const { loss, accuracy } = evaluate(model, data, { amp: 'none', tta: (o.tta as boolean) ?? true, device });
  const seconds = (Date.now() - started) / 1000;
  const result = { model: name, checkpoint: o.checkpoint, data: named.data, testAccuracy: accuracy, testLoss: loss, images: data.size, seconds, device };
  data.dispose();
  model.dispose();
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n`
    : `${name} ${o.checkpoint}: test accuracy ${(accuracy * 100).toFixed(2)}%, loss ${loss.toFixed(4)} on ${result.images} images of ${named.data} (${seconds.toFixed(1)} s, ${device})\n`);
  return 0;
}
