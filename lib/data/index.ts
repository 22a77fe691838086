// torchnode's data sets: CIFAR-10 for now.
export { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD, fetchCifar10, loadCifar10,
  type Cifar10Data, type FetchCifar10Options, type LoadCifar10Options } from './cifar10.js';
export type { Cifar10Location, Cifar10Source } from './cifar10-sources.js';
export type { FetchProgress, ProgressFn } from './progress.js';
export { terminalProgress } from './progress.js';
export { DatasetError } from './errors.js';
export { decodePng, type DecodedPng } from './png.js';
export { torchnodeHome } from './home.js';
export { ImagePipeline, type Batch, type PipelineOptions } from './pipeline.js';
/** Image transforms on tensors, as torchvision.transforms.v2.functional computes them. */
export * as transforms from './transforms.js';
export { ImageFolder, imageFolder, toTensorDataset, decodeImage, loadImage, findImageFiles, IMAGE_EXTENSIONS,
  type DecodedImage, type ImageFit, type ImageFolderOptions } from './image-folder.js';
export type { Dataset, Example, TensorDataset, ImageDataSplits } from './dataset.js';
export { Subset, randomSplit } from './subset.js';
export { CIFAR100_ARCHIVE, CIFAR100_CLASSES, CIFAR100_COARSE_CLASSES, CIFAR100_MEAN, CIFAR100_STD, CIFAR100_SIZES, loadCifar100,
  parseCifar100, fetchCifar100Archive, cifar100CacheDir, type Cifar100Arrays, type Cifar100Data, type LoadCifar100Options } from './cifar100.js';
