// ResNets as torchvision writes them (models/resnet.py), plus the CIFAR family of the
// ResNet paper. The skip is added before the final ReLU: out = relu(F(x) + shortcut(x)).
import { z } from 'zod';

import { parseOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { chain, Sequential } from '../nn/container.js';
import { constant_, kaimingNormal_ } from '../nn/init.js';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, ReLU } from '../nn/layers.js';
import { Module } from '../nn/module.js';

/** 3x3 convolution with padding 1, no bias. @example const conv = models.conv3x3(64, 128, 2); // halves H and W */
export const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): Conv2d =>
  new Conv2d({ inChannels: inPlanes, outChannels: outPlanes, kernelSize: 3, stride, padding: dilation, groups, dilation, bias: false });

/** 1x1 convolution, no bias. @example const project = models.conv1x1(64, 256); */
export const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1): Conv2d =>
  new Conv2d({ inChannels: inPlanes, outChannels: outPlanes, kernelSize: 1, stride, bias: false });

export interface BlockOptions {
  stride?: number;
  downsample?: Module | null;
  groups?: number;
  baseWidth?: number;
  dilation?: number;
}

/**
 * Two 3x3 convolutions; expansion 1 (ResNet-18/34 and the CIFAR ResNets).
 *
 * @example
 * const block = new models.BasicBlock(64, 64);
 * const y = block.forward(torch.randn([1, 64, 32, 32])); // [1, 64, 32, 32]
 */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Module | null;

  constructor(inPlanes: number, planes: number, { stride = 1, downsample = null, groups = 1, baseWidth = 64, dilation = 1 }: BlockOptions = {}) {
    super();
    if (groups !== 1 || baseWidth !== 64) throw new TypeError('BasicBlock only supports groups=1 and baseWidth=64');
    if (dilation > 1) throw new TypeError('Dilation > 1 not supported in BasicBlock');
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: planes }));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: planes }));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
  }

  /** The last batch norm of the residual branch (zeroed by zeroInitResidual). */
  get lastNorm(): BatchNorm2d {
    return this.bn2;
  }

  forward(x: Tensor): Tensor {
    const out = chain(x,
      (t) => this.conv1.forward(t), (t) => this.bn1.forward(t), (t) => this.relu.forward(t),
      (t) => this.conv2.forward(t), (t) => this.bn2.forward(t));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    out.add_(identity);
    if (identity !== x) identity.dispose();
    return this.relu.forward(out);
  }
}

/**
 * 1x1 reduce, 3x3, 1x1 expand; expansion 4 (ResNet-50/101/152), stride on the 3x3 (v1.5).
 *
 * @example
 * const block = new models.Bottleneck(256, 64); // 256 channels in, 64 * 4 out
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: Module | null;

  constructor(inPlanes: number, planes: number, { stride = 1, downsample = null, groups = 1, baseWidth = 64, dilation = 1 }: BlockOptions = {}) {
    super();
    const width = Math.floor(planes * (baseWidth / 64)) * groups;
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, width));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: width }));
    this.conv2 = this.registerModule('conv2', conv3x3(width, width, stride, groups, dilation));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: width }));
    this.conv3 = this.registerModule('conv3', conv1x1(width, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d({ numFeatures: planes * Bottleneck.expansion }));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
  }

  get lastNorm(): BatchNorm2d {
    return this.bn3;
  }

  forward(x: Tensor): Tensor {
    const out = chain(x,
      (t) => this.conv1.forward(t), (t) => this.bn1.forward(t), (t) => this.relu.forward(t),
      (t) => this.conv2.forward(t), (t) => this.bn2.forward(t), (t) => this.relu.forward(t),
      (t) => this.conv3.forward(t), (t) => this.bn3.forward(t));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    out.add_(identity);
    if (identity !== x) identity.dispose();
    return this.relu.forward(out);
  }
}

export type Block = typeof BasicBlock | typeof Bottleneck;

const resnetOptions = z.strictObject({
  numClasses: z.number().int().positive().describe('positive integer').default(1000),
  stem: z.enum(['imagenet', 'cifar']).describe("'imagenet' (7x7/2 conv + max-pool) or 'cifar' (3x3/1 conv)").default('imagenet'),
  zeroInitResidual: z.boolean().describe('a boolean').default(false),
  widths: z.array(z.number().int().positive()).min(1).describe('an array of positive integers').default([64, 128, 256, 512]),
  groups: z.number().int().positive().describe('positive integer').default(1),
  widthPerGroup: z.number().int().positive().describe('positive integer').default(64),
});
export type ResNetOptions = z.input<typeof resnetOptions>;
export type ResNetBuilderOptions = Pick<ResNetOptions, 'numClasses' | 'stem' | 'zeroInitResidual'>;

/**
 * A ResNet: stem, one stage per entry of `layers` (the first at stride 1, the others 2), global
 * average pooling, a linear classifier. Keys match torchvision's state_dict.
 * @example const model = new ResNet(BasicBlock, [3, 4, 6, 3], { numClasses: 10, stem: 'cifar' });
 */
export class ResNet extends Module {
  readonly options: z.output<typeof resnetOptions>;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d | null;
  readonly layers: Sequential[] = [];
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Linear;
  #inPlanes: number;

  constructor(readonly block: Block, readonly layerSizes: number[], options: ResNetOptions = {}) {
    super();
    const o = (this.options = parseOptions(resnetOptions, options, 'ResNet'));
    if (layerSizes.length !== o.widths.length) throw new TypeError(`ResNet needs one width per stage: ${layerSizes.length} stages, ${o.widths.length} widths`);
    this.#inPlanes = o.widths[0]!;
    this.conv1 = this.registerModule('conv1', o.stem === 'imagenet'
      ? new Conv2d({ inChannels: 3, outChannels: this.#inPlanes, kernelSize: 7, stride: 2, padding: 3, bias: false })
      : conv3x3(3, this.#inPlanes));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: this.#inPlanes }));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.maxpool = o.stem === 'imagenet' ? this.registerModule('maxpool', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 })) : null;
    layerSizes.forEach((blocks, i) => {
      this.layers.push(this.registerModule(`layer${i + 1}`, this.makeLayer(block, o.widths[i]!, blocks, i === 0 ? 1 : 2)));
    });
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d({ outputSize: [1, 1] }));
    this.fc = this.registerModule('fc', new Linear({ inFeatures: o.widths.at(-1)! * block.expansion, outFeatures: o.numClasses }));

    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
      else if (m instanceof BatchNorm2d && m.weight && m.bias) {
        constant_(m.weight, 1);
        constant_(m.bias, 0);
      }
    }
    // Each residual branch starts at zero, so each block starts as the identity.
    if (o.zeroInitResidual) {
      for (const m of this.modules()) if ((m instanceof BasicBlock || m instanceof Bottleneck) && m.lastNorm.weight) constant_(m.lastNorm.weight, 0);
    }
  }

  /** One stage: a projection shortcut when the stride or the width changes. */
  makeLayer(block: Block, planes: number, blocks: number, stride = 1): Sequential {
    const o = this.options;
    let downsample: Module | null = null;
    if (stride !== 1 || this.#inPlanes !== planes * block.expansion) {
      downsample = new Sequential(conv1x1(this.#inPlanes, planes * block.expansion, stride), new BatchNorm2d({ numFeatures: planes * block.expansion }));
    }
    const shared = { groups: o.groups, baseWidth: o.widthPerGroup };
    const items: Module[] = [new block(this.#inPlanes, planes, { stride, downsample, ...shared })];
    this.#inPlanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) items.push(new block(this.#inPlanes, planes, shared));
    return new Sequential(...items);
  }

  forward(x: Tensor): Tensor {
    const steps: ((t: Tensor) => Tensor)[] = [
      (t) => this.conv1.forward(t), (t) => this.bn1.forward(t), (t) => this.relu.forward(t)];
    if (this.maxpool) steps.push((t) => this.maxpool!.forward(t));
    for (const layer of this.layers) steps.push((t) => layer.forward(t));
    steps.push((t) => this.avgpool.forward(t), (t) => t.flatten(1), (t) => this.fc.forward(t));
    return chain(x, ...steps);
  }
}

const imagenet = (block: Block, layers: number[]) => (options: ResNetBuilderOptions = {}): ResNet => new ResNet(block, layers, options);

/** ResNet-18 (11.7M parameters with 1000 classes). @example resnet18({ numClasses: 10 }) */
export const resnet18 = imagenet(BasicBlock, [2, 2, 2, 2]);
/** ResNet-34: BasicBlock stages [3, 4, 6, 3]. @example resnet34({ numClasses: 10, stem: 'cifar' }) */
export const resnet34 = imagenet(BasicBlock, [3, 4, 6, 3]);
/** ResNet-50: Bottleneck stages [3, 4, 6, 3]. @example resnet50() */
export const resnet50 = imagenet(Bottleneck, [3, 4, 6, 3]);
/** @example resnet101() */
export const resnet101 = imagenet(Bottleneck, [3, 4, 23, 3]);
/** @example resnet152() */
export const resnet152 = imagenet(Bottleneck, [3, 8, 36, 3]);

/**
 * The CIFAR ResNets of the ResNet paper (depth 6n+2): a 3x3 stem and three stages of n
 * BasicBlocks at 16/32/64 channels. Shortcuts that change shape are 1x1 projections (the
 * paper's option B), so the family shares torchvision's block and key names.
 */
const cifar = (n: number) => (options: Omit<ResNetBuilderOptions, 'stem'> = {}): ResNet =>
  new ResNet(BasicBlock, [n, n, n], { numClasses: 10, ...options, stem: 'cifar', widths: [16, 32, 64] });

/** @example resnet20() // 10 classes */
export const resnet20 = cifar(3);
export const resnet32 = cifar(5);
export const resnet44 = cifar(7);
export const resnet56 = cifar(9);
export const resnet110 = cifar(18);
