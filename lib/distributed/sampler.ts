// Each rank's disjoint share of an epoch: one seeded permutation, the same on every rank, dealt
// out round-robin, so that one epoch over all ranks covers the data set once.
import { z } from 'zod';

import { randperm } from '../creation.js';
import { Generator } from '../generator.js';
import { parseOptions } from '../options.js';
import { tidy } from '../scope.js';
import { defaultProcessGroup } from './process-group.js';

const samplerOptions = z.strictObject({
  /** Samples in the data set. */
  size: z.number().int().min(0).describe('a non-negative integer'),
  rank: z.number().int().min(0).describe('a non-negative integer').optional(),
  worldSize: z.number().int().positive().describe('a positive integer').optional(),
  shuffle: z.boolean().describe('a boolean').default(true),
  seed: z.number().int().min(0).describe('a non-negative integer').default(0),
  /** Drop the tail that does not divide evenly; otherwise pad with the permutation's first samples. */
  dropLast: z.boolean().describe('a boolean').default(false),
  /** With dropLast off: pad to equal shares (training), or leave the last shares one short (evaluation). */
  pad: z.boolean().describe('a boolean').default(true),
});
export type SamplerOptions = z.input<typeof samplerOptions>;

/**
 * PyTorch's DistributedSampler: `indices(epoch)` is this rank's share of epoch `epoch`, the
 * shares of all ranks disjoint (up to padding) and together the whole data set. The shuffle is
 * PyTorch's own (randperm from a generator seeded with seed + epoch), so the indices equal its.
 * rank and worldSize default to the default process group's.
 *
 * @example
 * const sampler = new distributed.DistributedSampler({ size: 50000, seed: 0 });
 * for (const i of sampler.indices(epoch)) { ... } // 25000 indices on each of 2 ranks
 */
export class DistributedSampler {
  readonly size: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly options: Required<Omit<z.output<typeof samplerOptions>, 'size' | 'rank' | 'worldSize'>>;
  /** Samples this rank sees in an epoch. */
  readonly numSamples: number;
  /** Samples all ranks see in an epoch, padding included. */
  readonly totalSize: number;

  constructor(options: SamplerOptions) {
    const { size, rank, worldSize, ...o } = parseOptions(samplerOptions, options, 'new DistributedSampler()');
    this.size = size;
    this.worldSize = worldSize ?? defaultProcessGroup().worldSize;
    this.rank = rank ?? defaultProcessGroup().rank;
    if (this.rank >= this.worldSize) throw new TypeError(`Expected a rank in 0-${this.worldSize - 1} for rank but received ${this.rank}`);
    this.options = o;
    const w = this.worldSize;
    if (o.dropLast) this.totalSize = Math.floor(size / w) * w;
    else if (o.pad) this.totalSize = Math.ceil(size / w) * w;
    else this.totalSize = size;
    this.numSamples = o.dropLast || o.pad ? this.totalSize / w : Math.floor(size / w) + (this.rank < size % w ? 1 : 0);
  }

  /** The permutation of epoch `epoch` shared by every rank (identity without shuffle). */
  permutation(epoch: number): Int32Array {
    if (!this.options.shuffle) return Int32Array.from({ length: this.size }, (_, i) => i);
    // its own CPU generator, as PyTorch's sampler has: the user's global one is left alone
    const generator = new Generator().manualSeed(this.options.seed + epoch);
    return tidy(() => randperm(this.size, { generator }).to({ dtype: 'int32' }).toTypedArray() as Int32Array);
  }

  /** This rank's indices for epoch `epoch`: every worldSize-th sample of the padded permutation. */
  indices(epoch: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new TypeError(`Expected a non-negative integer for epoch but received ${epoch}`);
    const perm = this.permutation(epoch);
    const out = new Int32Array(this.numSamples);
    for (let k = 0; k < out.length; k++) {
      const i = this.rank + k * this.worldSize;
      // padding repeats the permutation from its start
      out[k] = perm[i < this.size ? i : (i - this.size) % Math.max(this.size, 1)]!;
    }
    return out;
  }
}
