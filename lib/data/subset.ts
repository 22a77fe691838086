// Subset and randomSplit, as torch.utils.data has them: a train/validation split drawn from a
// generator, so the same seed gives PyTorch's split of the same data set.
import { randperm } from '../creation.js';
import { describe } from '../errors.js';
import { generatorOf, type Generator } from '../generator.js';
import { tidy } from '../scope.js';
import { exampleAt, isTensorDataset, type Dataset, type Example, type TensorDataset } from './dataset.js';

/** The examples of `dataset` at `indices`, in that order (PyTorch's Subset); nothing is copied. */
export class Subset implements Dataset {
  readonly indices: readonly number[];

  constructor(readonly dataset: Dataset | TensorDataset, indices: readonly number[]) {
    const n = lengthOf(dataset);
    if (!Array.isArray(indices)) throw new TypeError(`Expected an array of indices for indices but received ${describe(indices)}`);
    const bad = indices.findIndex((i) => !Number.isSafeInteger(i) || i < 0 || i >= n);
    if (bad >= 0) throw new RangeError(`Expected indices from 0 to ${n - 1} for indices but received ${describe(indices[bad])} at position ${bad}`);
    this.indices = Object.freeze([...indices]);
  }

  get length(): number {
    return this.indices.length;
  }

  get classes(): readonly string[] | undefined {
    return this.dataset.classes;
  }

  get(index: number): Example {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.length) throw new RangeError(`Expected an index from 0 to ${this.length - 1} for index but received ${describe(index)}`);
    const at = this.indices[index]!;
    const d = this.dataset;
    return isTensorDataset(d) ? exampleAt(d.images, d.labels, at) : d.get(at);
  }
}

function lengthOf(d: Dataset | TensorDataset): number {
  if (typeof d === 'object' && d !== null && isTensorDataset(d)) return d.images.shape[0]!;
  if (typeof d !== 'object' || d === null || typeof (d as Dataset).get !== 'function' || !Number.isSafeInteger((d as Dataset).length)) {
    throw new TypeError(`Expected a Dataset (length and get) or a TensorDataset (images and labels) for dataset but received ${describe(d)}`);
  }
  return (d as Dataset).length;
}

/** Sizes from `lengths`: counts as they are, or fractions summing to 1 (floors, the rest one by one from the first). */
function sizes(lengths: readonly number[], n: number): number[] {
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => typeof l !== 'number' || !Number.isFinite(l))) {
    throw new TypeError(`Expected a non-empty array of counts or fractions for lengths but received ${describe(lengths)}`);
  }
  const sum = compensatedSum(lengths);
  // PyTorch's test: fractions when they sum to 1 (math.isclose) and not above it; Python 3.12's
  // sum() is compensated, so [0.05, 0.55, 0.3, 0.1] is 1 there (1.0000000000000002 added plainly)
  if (Math.abs(sum - 1) <= 1e-9 && sum <= 1) {
    const bad = lengths.findIndex((f) => f < 0 || f > 1);
    if (bad >= 0) throw new RangeError(`Expected fractions between 0 and 1 for lengths but received ${lengths[bad]} at position ${bad}`);
    const out = lengths.map((f) => Math.floor(n * f));
    const rest = n - out.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rest; i++) out[i % out.length]! += 1;
    return out;
  }
  if (lengths.some((l) => !Number.isSafeInteger(l))) {
    throw new TypeError(`Expected integer counts, or fractions summing to 1, for lengths but received [${lengths.join(', ')}] (summing to ${sum})`);
  }
  const bad = lengths.findIndex((l) => l < 0);
  if (bad >= 0) throw new RangeError(`Expected non-negative counts for lengths but received ${lengths[bad]} at position ${bad}`);
  if (sum !== n) throw new RangeError(`Expected lengths summing to the data set's length (${n}) but they sum to ${sum}`);
  return [...lengths];
}

// Neumaier's summation, as Python 3.12's sum() of floats.
function compensatedSum(xs: readonly number[]): number {
  let sum = 0;
  let c = 0;
  for (const x of xs) {
    const t = sum + x;
    c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + c;
}

/**
 * Splits a data set into non-overlapping Subsets of the given sizes (counts, or fractions summing
 * to 1), from one random permutation drawn from `generator` (the global generator unless given),
 * as torch.utils.data.random_split does: the same seed gives PyTorch's split.
 * @example
 * const [train, val] = data.randomSplit(folder, [0.9, 0.1], { generator: new torch.Generator().manualSeed(42) });
 */
export function randomSplit(dataset: Dataset | TensorDataset, lengths: readonly number[], options?: { generator?: Generator }): Subset[] {
  const generator = generatorOf(options, 'data.randomSplit()');
  const counts = sizes(lengths, lengthOf(dataset));
  const order = tidy(() => Array.from(randperm(counts.reduce((a, b) => a + b, 0), { generator }).toTypedArray() as BigInt64Array, Number));
  let offset = 0;
  return counts.map((c) => new Subset(dataset, order.slice(offset, (offset += c))));
}
