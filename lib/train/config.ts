// Training options: one strict schema for the CLI, config files and `new Trainer(config)`.
// Unset options take the recipe of the device the run lands on.
import { z } from 'zod';

import { checkDevice, type Device } from '../device.js';
import { native } from '../native.js';
import { parseOptions } from '../options.js';
import { MODEL_NAMES, type ModelName } from '../models/registry.js';

/** The models a run can name (the models layer owns the list). */
export const MODELS = MODEL_NAMES;
export type { ModelName };

const positiveInt = z.number().int().positive().describe('positive integer');
const unit = z.number().min(0).max(1).describe('a number in [0, 1]');
const bool = z.boolean().describe('a boolean');

export const trainOptions = z.strictObject({
  model: z.enum(MODELS).describe(MODELS.join(', ')).optional(),
  stem: z.enum(['cifar', 'imagenet']).describe("'cifar' or 'imagenet'").default('cifar'),
  epochs: positiveInt.optional(),
  batchSize: positiveInt.optional(),
  /** The peak learning rate (OneCycle's max, cosine's base). */
  lr: z.number().positive().describe('a positive number').optional(),
  optimizer: z.enum(['sgd', 'adamw']).describe("'sgd' or 'adamw'").default('sgd'),
  momentum: unit.default(0.9),
  nesterov: bool.default(true),
  weightDecay: z.number().min(0).describe('a non-negative number').default(5e-4),
  schedule: z.enum(['onecycle', 'cosine', 'multistep', 'constant']).describe("'onecycle', 'cosine', 'multistep' or 'constant'").default('onecycle'),
  /** Fraction of all steps spent warming up (OneCycle's pctStart, cosine's warm-up). */
  warmup: unit.default(0.25),
  labelSmoothing: unit.default(0.1),
  amp: z.enum(['none', 'bf16', 'fp16']).describe("'none', 'bf16' or 'fp16'").optional(),
  channelsLast: bool.optional(),
  device: z.string().describe("'cpu', 'cuda' or 'cuda:N'").optional(),
  /** The data set: 'cifar10', 'cifar100' or 'imagefolder:PATH' (a `data` object given to the Trainer: 'custom'). */
  data: z.string().regex(/^(cifar10|cifar100|imagefolder:.+)$/).describe("'cifar10', 'cifar100' or 'imagefolder:PATH'").default('cifar10'),
  /** Side of the square an ImageFolder's images are resized to. */
  imageSize: positiveInt.default(32),
  /** Classes of the model's last layer (default: the data set's). */
  numClasses: positiveInt.optional(),
  /** Fine-tuning: start from this weights file (a final layer of another size is replaced). */
  initFrom: z.string().min(1).describe('a weights file path').optional(),
  dataDir: z.string().min(1).describe('a directory path').optional(),
  dataSource: z.enum(['dir', 'cache', 'download', 'npm']).describe("'dir', 'cache', 'download' or 'npm'").optional(),
  limitTrain: positiveInt.optional(),
  limitTest: z.number().int().min(0).describe('a non-negative integer').optional(),
  seed: z.number().int().min(0).describe('a non-negative integer').default(0),
  out: z.string().min(1).describe('a directory path').optional(),
  resume: bool.default(false),
  /** Decay of an exponential moving average of the weights used for evaluation; 0 turns it off. */
  ema: z.number().min(0).max(1).describe('a number in [0, 1) (0: off)').default(0),
  /** Evaluate on each image and its mirror image, averaging the logits. */
  tta: bool.default(true),
  logEvery: positiveInt.default(20),
  /** Write a line to metrics.jsonl every logEvery steps (step, epoch, loss, lr, images/s). */
  stepMetrics: bool.default(false),
  /** Write TensorBoard event files under out/ (scalars per step and per epoch). */
  tensorboard: bool.default(false),
  /**
   * Train with {@link CapturableStep}: static batch buffers, the learning rate in a device
   * tensor, gradients zeroed in place, no host reads inside a step (SGD; amp 'none' or 'bf16').
   */
  capturable: bool.default(false),
  /**
   * Capture the capturable step in a CUDA graph and replay it: one launch a step instead of
   * hundreds. Unset: on where the run allows it (CUDA, SGD, amp 'none' or 'bf16', one process).
   */
  cudaGraphs: bool.optional(),
});
export type TrainOptions = z.input<typeof trainOptions>;
type Optional = 'dataDir' | 'dataSource' | 'limitTrain' | 'limitTest' | 'numClasses' | 'initFrom';
export type TrainConfig = Required<Omit<z.output<typeof trainOptions>, Optional | 'device' | 'cudaGraphs' | 'model'>> &
  { cudaGraphs?: boolean; model: ModelName | 'custom' } &
  Pick<z.output<typeof trainOptions>, Optional> & { device: Device };

/**
 * The CPU recipe: ResNet-20, 2 epochs, batch 128, SGD with Nesterov momentum 0.9 and weight decay
 * 5e-4, OneCycle to 0.2 with 25% warm-up, label smoothing 0.1, crop and flip.
 */
const CPU_RECIPE = { model: 'resnet20', epochs: 2, batchSize: 128, lr: 0.2, amp: 'none', channelsLast: false } as const;
/** The CUDA recipe: ResNet-34 (CIFAR stem), bf16 autocast, channels-last, batch 512. */
const CUDA_RECIPE = { model: 'resnet34', epochs: 30, batchSize: 512, lr: 0.4, amp: 'bf16', channelsLast: true } as const;

/** Validates options and fills what is unset from the recipe of the chosen device. @example train.resolveConfig({ device: 'cpu' }).model // 'resnet20' */
export function resolveConfig(options: TrainOptions | undefined): TrainConfig {
  const o = parseOptions(trainOptions, options, 'torchnode train');
  const device = checkDevice(o.device ?? (native.cudaIsAvailable() ? 'cuda' : 'cpu'));
  const recipe = device === 'cpu' ? CPU_RECIPE : CUDA_RECIPE;
  if (o.amp === 'fp16' && device === 'cpu') throw new TypeError('amp fp16 needs a CUDA device; use bf16 on the CPU');
  const amp = o.amp ?? recipe.amp;
  const stepOff = capturableWhyNot({ optimizer: o.optimizer, amp });
  if (o.capturable && stepOff) throw new TypeError(`capturable ${stepOff}`);
  const graphsOff = cudaGraphsWhyNot({ device, optimizer: o.optimizer, amp });
  if (o.cudaGraphs && graphsOff) throw new TypeError(`cudaGraphs ${graphsOff}`);
  const cudaGraphs = o.cudaGraphs ?? graphsOff === null;
  return {
    ...o,
    device,
    cudaGraphs,
    capturable: o.capturable || cudaGraphs,
    model: o.model ?? recipe.model,
    epochs: o.epochs ?? recipe.epochs,
    batchSize: o.batchSize ?? recipe.batchSize,
    lr: o.lr ?? (o.optimizer === 'adamw' ? 2e-3 : recipe.lr),
    amp,
    channelsLast: o.channelsLast ?? recipe.channelsLast,
    out: o.out ?? `runs/${new Date().toISOString().replace(/[:.]/g, '-')}`,
  };
}

type StepChoices = { optimizer: 'sgd' | 'adamw'; amp: 'none' | 'bf16' | 'fp16' };

/** Why a run cannot train with the capturable step (the reason, after its name), or null. */
function capturableWhyNot(c: StepChoices): string | null {
  if (c.optimizer !== 'sgd') return "needs optimizer 'sgd' (AdamW's bias correction reads the step count on the host)";
  if (Number(process.env.WORLD_SIZE ?? '1') > 1) return 'does not run under torchnode launch yet: DDP averages the gradients between backward and the update, outside the step';
  if (c.amp === 'fp16') return "needs amp 'none' or 'bf16' (fp16's GradScaler reads the device every step)";
  return null;
}

/** Why a run cannot train with CUDA graphs, or null when it can. @example train.cudaGraphsWhyNot({ device: 'cpu', optimizer: 'sgd', amp: 'none' }) */
export function cudaGraphsWhyNot(c: StepChoices & { device: Device }): string | null {
  if (!c.device.startsWith('cuda')) return `needs a CUDA device (the run is on '${c.device}')`;
  return capturableWhyNot(c);
}
