// torch.Generator: random-number generators owned by their user, so draws from one never move another.
import { z } from 'zod';

import { checkDevice, type Device } from './device.js';
import { describe } from './errors.js';
import { native, type GeneratorHandle } from './native.js';
import { parseOptions } from './options.js';
import { checkSeed } from './runtime.js';
import { fromHandle, handleOf, Tensor } from './tensor.js';

// Set only while _wrap constructs a Generator around an existing handle.
let wrapping: GeneratorHandle | undefined;

/** Options of `new torch.Generator()`. */
export interface GeneratorOptions {
  /** The device whose engine it runs (CPU's mt19937, CUDA's Philox); 'cpu' unless said. */
  device?: Device;
}

/**
 * A random-number generator, as `torch.Generator`: a new one starts from PyTorch's default seed
 * (67280421310721), so seeded draws equal PyTorch's. Every random op takes one where PyTorch's
 * does: the `generator` option of `rand`, `randn`, `randint`, `randperm`, `normal_`, `uniform_`,
 * `bernoulli`, `multinomial`, `normal`, `exponential_`, `random_` and the other keyword-only
 * cases; the last argument where PyTorch's is positional (`poisson(rates, g)`, `binomial`,
 * `rrelu`); `nn.init`'s initialisers; and any `torch.ops.aten` operator taking a Generator. Seeds are 64-bit, so `seed()`
 * and `initialSeed()` return bigints.
 *
 * @example
 * const g = new torch.Generator().manualSeed(42);
 * const x = torch.rand([3], { generator: g }); // torch.rand(3, generator=torch.Generator().manual_seed(42))
 */
export class Generator {
  readonly #h: GeneratorHandle;

  constructor(options?: GeneratorOptions) {
    if (wrapping !== undefined) {
      this.#h = wrapping;
      wrapping = undefined;
      return;
    }
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new TypeError(`Expected an options object for new torch.Generator() but received ${describe(options)}`);
    }
    const unknown = Object.keys(options ?? {}).filter((k) => k !== 'device');
    if (unknown.length > 0) throw new TypeError(`new torch.Generator() takes only a device option but received ${unknown.join(', ')}`);
    this.#h = native.generatorNew(checkDevice(options?.device ?? 'cpu'));
  }

  /** @internal */
  static _wrap(handle: GeneratorHandle): Generator {
    wrapping = handle;
    return new Generator();
  }

  /** @internal The native handle, for operator calls. */
  get _h(): GeneratorHandle {
    return this.#h;
  }

  /** The device it draws for ('cpu', 'cuda:0', ...). */
  get device(): Device {
    return native.generatorDevice(this.#h) as Device;
  }

  /** Seeds it; returns it, as PyTorch's does. @example const g = new torch.Generator().manualSeed(0); */
  manualSeed(seed: number | bigint): this {
    native.generatorManualSeed(this.#h, checkSeed(seed));
    return this;
  }

  /** Seeds it from a non-deterministic source and returns that seed. @example const s = g.seed(); */
  seed(): bigint {
    return native.generatorSeed(this.#h);
  }

  /** The seed it was last seeded with. @example g.manualSeed(7).initialSeed() // 7n */
  initialSeed(): bigint {
    return native.generatorInitialSeed(this.#h);
  }

  /** A copy of its state as a uint8 CPU tensor. @example const s = g.getState(); */
  getState(): Tensor {
    return fromHandle(native.generatorGetState(this.#h));
  }

  /** Restores a state `getState()` returned; returns it. @example g.setState(saved); */
  setState(state: Tensor): this {
    native.generatorSetState(this.#h, handleOf(state, 'state'));
    return this;
  }
}

/** libtorch's global CPU generator, the one `torch.manualSeed` seeds. @example torch.defaultGenerator.initialSeed() */
export const defaultGenerator: Generator = Generator._wrap(native.generatorDefault('cpu'));

/** The `generator` field of an options schema. */
export const generatorField = z.custom<Generator>((v) => v instanceof Generator).describe('a torch.Generator').optional();
const generatorOptions = z.strictObject({ generator: generatorField });

/** The Generator of a `{ generator }` options object (undefined when none), the object checked as parseOptions checks. */
export function generatorOf(options: unknown, fn: string): Generator | undefined {
  return parseOptions(generatorOptions, options, fn).generator;
}
