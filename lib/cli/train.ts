// `torchnode train`: image classifier training from the command line.
import { readFileSync } from 'node:fs';

import { TorchError } from '../errors.js';
import { trainOptions } from '../train/config.js';
import type { ResumeChange } from '../train/resume.js';
import { Trainer, type FitResult } from '../train/trainer.js';
import { Progress } from '../train/progress.js';
import { flagMessage, kebab, parseFlags, UsageError, type FlagKind } from './flags.js';

const KINDS: Record<string, FlagKind> = {
  model: 'string', stem: 'string', epochs: 'number', batchSize: 'number', lr: 'number', optimizer: 'string',
  momentum: 'number', nesterov: 'boolean', weightDecay: 'number', schedule: 'string', warmup: 'number',
  labelSmoothing: 'number', amp: 'string', channelsLast: 'boolean', device: 'string', dataDir: 'string',
  dataSource: 'string', limitTrain: 'number', limitTest: 'number', seed: 'number', out: 'string', resume: 'boolean',
  ema: 'number', tta: 'boolean', logEvery: 'number', stepMetrics: 'boolean', tensorboard: 'boolean', data: 'string', imageSize: 'number',
  numClasses: 'number', initFrom: 'string', capturable: 'boolean', cudaGraphs: 'boolean', config: 'string', json: 'boolean', quiet: 'boolean',
};

export const TRAIN_USAGE = `Usage: torchnode train [options]

Trains a ResNet on CIFAR-10 (or CIFAR-100, or an image folder). Unset options follow the device's
recipe (CPU: resnet20, 2 epochs, batch 128, lr 0.2; CUDA: resnet34, 30 epochs, batch 512, lr 0.4,
bf16, channels-last).

  --model NAME          resnet18|34|50|101|152 or resnet20|32|44|56|110
  --data cifar10|cifar100|imagefolder:PATH   PATH/train and PATH/val (or test), or PATH alone
  --image-size N        side an image folder's images are resized to (default 32)
  --init-from FILE      fine-tune: start from these weights (--num-classes N: a new final layer)
  --stem cifar|imagenet  stem of resnet18/34/50 (default cifar)
  --epochs N  --batch-size N  --lr X (peak)  --optimizer sgd|adamw
  --momentum X  --[no-]nesterov  --weight-decay X
  --schedule onecycle|cosine|multistep|constant  --warmup FRACTION
  --label-smoothing X  --amp none|bf16|fp16  --[no-]channels-last  --ema DECAY  --[no-]tta
  --device cpu|cuda|cuda:N  --data-dir DIR  --data-source dir|cache|download|npm
  --limit-train N  --limit-test N  --seed N  --out DIR  --log-every N
  --resume              continue the run in --out; --epochs, --lr, --log-every, --step-metrics,
                        --tensorboard, --[no-]tta, --limit-test, --data-dir may change (said on
                        stdout), the others must be the run's
  --step-metrics        a metrics.jsonl line every --log-every steps (loss, lr, img/s)
  --tensorboard         TensorBoard event files in --out (scalars per step and per epoch)
  --capturable          static-shape step, lr in a device tensor, no syncs (sgd; amp none|bf16)
  --[no-]cuda-graphs    capture that step in a CUDA graph and replay it (default on CUDA
                        when the options allow: sgd, amp none|bf16, one process)
  --config FILE.json    options as JSON (camelCase keys); flags override it
  --json                print one JSON object with the results as the last line
  --quiet               no progress output`;

export async function trainCommand(args: string[]): Promise<number> {
  const { options, positional } = parseFlags(args, KINDS);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const { config: configFile, json, quiet, ...flags } = options as Record<string, unknown> & { config?: string; json?: boolean; quiet?: boolean };
  let fromFile: Record<string, unknown> = {};
  if (configFile !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`cannot read config file ${configFile}: ${(e as Error).message}`);
    }
    if (fromFile === null || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new UsageError(`config file ${configFile} must hold a JSON object`);
  }
  let trainer: Trainer;
  try {
    // a command has nothing else on its event loop: the loop runs on this thread
    trainer = new Trainer({ ...fromFile, ...flags } as never, { progress: new Progress(process.stderr, Boolean(quiet)), thread: 'main' });
  } catch (e) {
    if (e instanceof TypeError) {
      throw new UsageError(flagMessage(e.message, { ...KINDS, ...Object.fromEntries(Object.keys(trainOptions.shape).map((k) => [k, 'string'])) }));
    }
    throw e;
  }
  // Ctrl-C: finish the step, write a checkpoint, exit 130; a second one exits at once.
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\ntorchnode: stopping after this step (Ctrl-C again to quit now)\n');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const lead = (process.env.RANK ?? '0') === '0';
    const onResume = (changes: ResumeChange[]) => {
      if (lead) for (const c of changes) process.stdout.write(`torchnode: --${kebab(c.option)} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)} (changed on resume)\n`);
    };
    let result: FitResult;
    try {
      result = await trainer.fit({ signal: stop.signal, onResume });
    } catch (e) {
      // an option the resumed run cannot change: a usage error, named as a flag
      if (e instanceof TypeError && e.message.startsWith('Cannot change ')) throw new UsageError(e.message.replace(/^Cannot change ([a-zA-Z]+) /, (_, key: string) => `Cannot change --${kebab(key)} `));
      throw e;
    }
    // under torchnode launch only rank 0 reports
    if (!lead) return result.interrupted ? 130 : 0;
    if (json) {
      const { history, ...summary } = result;
      process.stdout.write(`${JSON.stringify({ ...summary, metrics: history })}\n`);
    } else if (!result.interrupted) {
      process.stdout.write(`test accuracy ${result.testAccuracy === null ? 'n/a' : `${(result.testAccuracy * 100).toFixed(2)}%`} after ` +
        `${result.epochs} epochs, ${result.trainSeconds.toFixed(1)} s of training, ${Math.round(result.imagesPerSecond)} img/s on ${result.device}; ` +
        `checkpoints and metrics in ${result.out}\n`);
    }
    return result.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
