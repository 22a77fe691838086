// What the Trainer and the pipeline take as data: anything with a length and an indexed get, or
// a pair of tensors already in memory. CIFAR-10/100 and ImageFolder are both.
import type { Tensor } from '../tensor.js';

/** One labelled image: uint8 [C, H, W] on the CPU, and its class index. */
export interface Example {
  image: Tensor;
  label: number;
}

/** A labelled image data set read one example at a time (PyTorch's map-style Dataset). */
export interface Dataset {
  readonly length: number;
  get(index: number): Example;
  /** Class names, index = label. */
  readonly classes?: readonly string[];
}

/** A whole data set in memory: uint8 images [N, C, H, W] and int64 labels [N]. */
export interface TensorDataset {
  readonly images: Tensor;
  readonly labels: Tensor;
  readonly classes?: readonly string[];
}

/** A training split, an optional evaluation split, and the normalisation they share. */
export interface ImageDataSplits {
  train: Dataset | TensorDataset;
  test?: Dataset | TensorDataset;
  /** Per-channel mean and std of the training images in [0, 1]. */
  mean: readonly number[];
  std: readonly number[];
  classes: readonly string[];
}

export const isTensorDataset = (d: Dataset | TensorDataset): d is TensorDataset =>
  'images' in d && 'labels' in d;

/** Example `index` of images [N, C, H, W] and labels [N]: its own contiguous image and its label. */
export const exampleAt = (images: Tensor, labels: Tensor, index: number): Example =>
  ({ image: images.narrow(0, index, 1).squeeze(0).contiguous(), label: Number(labels.narrow(0, index, 1).item()) });
