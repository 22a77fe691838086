// Exponential moving average of a model's weights, for evaluation and checkpoints.
import { z } from 'zod';

import { noGrad } from '../autograd.js';
import { isFloating } from '../dtype.js';
import { describe, TorchError } from '../errors.js';
import { foreach } from '../functions.js';
import type { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { keep, tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { checkObject, nonNegativeInt, unitInterval } from './fields.js';
import { mulScalar } from './foreach-ops.js';

/**
 * `averaged[i] = decay * averaged[i] + (1 - decay) * current[i]`, two multi-tensor calls
 * (libtorch 1.13 has no foreach lerp).
 *
 * @example
 * torch.optim.emaUpdate(shadowWeights, model.parameters(), 0.999);
 */
export function emaUpdate(averaged: Tensor[], current: Tensor[], decay: number): void {
  if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1)) throw new TypeError(`Expected a number in [0, 1] for decay but received ${describe(decay)}`);
  if (averaged.length === 0) return;
  noGrad(() => {
    foreach.mul_(averaged, decay);
    foreach.add_(averaged, current, { alpha: 1 - decay });
  });
}

/** `target[i] = source[i]` for any dtype, in two multi-tensor calls instead of one copy per tensor. */
function assign(target: Tensor[], source: Tensor[]): void {
  if (target.length === 0) return;
  noGrad(() => {
    foreach.zero_(target);
    foreach.add_(target, source);
  });
}

const emaOptions = z.strictObject({ decay: unitInterval.default(0.999) });
export type EMAOptions = z.input<typeof emaOptions>;

const emaMeta = z.strictObject({ decay: unitInterval, numUpdates: nonNegativeInt });

/** The JSON-able half of an EMA state dict. */
export type EMAMeta = z.output<typeof emaMeta>;

interface Named {
  /** Floating-point parameters, averaged. */
  averaged: [string, Tensor][];
  /** Buffers and any other parameters, copied. */
  copied: [string, Tensor][];
  all: Map<string, Tensor>;
}

function namedTensors(model: Module): Named {
  const out: Named = { averaged: [], copied: [], all: new Map() };
  for (const [name, t] of model.namedParameters()) (isFloating(t.dtype) ? out.averaged : out.copied).push([name, t]);
  for (const entry of model.namedBuffers()) out.copied.push(entry);
  for (const [name, t] of [...out.averaged, ...out.copied]) out.all.set(name, t);
  return out;
}

/**
 * An exponential moving average of a model's parameters: `update()` after each optimizer
 * step blends them in with weight `1 - decay`; buffers (batch-norm statistics) are copied.
 * Evaluate with the averaged weights through `evaluate(fn)`, or `copyTo` a second model.
 * The average keeps each parameter's dtype, so average float32 weights when decay is near 1.
 *
 * @example
 * const ema = new torch.optim.EMA(model, { decay: 0.999 });
 * optimizer.step(); ema.update();
 * const acc = await ema.evaluate(() => validate(model));
 */
export class EMA {
  /** The weight kept from the average at each update. */
  decay: number;
  /** How many times `update()` has run. */
  numUpdates = 0;
  readonly #model: Module;
  readonly #names: string[];
  readonly #persistent: Set<string>;
  readonly #shadow: Map<string, Tensor>;
  readonly #averaged: { shadow: Tensor[]; model: Tensor[] };
  readonly #copied: { shadow: Tensor[]; model: Tensor[] };

  constructor(model: Module, options?: EMAOptions) {
    this.decay = parseOptions(emaOptions, options, 'EMA()').decay;
    this.#model = model;
    const named = namedTensors(model);
    this.#names = [...named.all.keys()];
    this.#persistent = tidy(() => new Set(model.stateDict().keys()));
    this.#shadow = tidy(() => noGrad(() => new Map([...named.all].map(([n, t]) => [n, keep(t.detach().clone())]))));
    const split = (list: [string, Tensor][]) => ({ shadow: list.map(([n]) => this.#shadow.get(n)!), model: list.map(([, t]) => t) });
    this.#averaged = split(named.averaged);
    this.#copied = split(named.copied);
  }

  /** Blends the model's current parameters into the average and copies its buffers. */
  update(): void {
    emaUpdate(this.#averaged.shadow, this.#averaged.model, this.decay);
    assign(this.#copied.shadow, this.#copied.model);
    this.numUpdates++;
  }

  /** Copies the averaged weights into `model` (by default the model being averaged). */
  copyTo(model: Module = this.#model): void {
    const target = namedTensors(model);
    const missing = this.#names.filter((n) => !target.all.has(n));
    const extra = [...target.all.keys()].filter((n) => !this.#shadow.has(n));
    if (missing.length || extra.length) {
      throw new TorchError(`EMA.copyTo(): the model's tensors differ from the averaged ones (missing: ${missing.join(', ') || 'none'}; ` +
        `unexpected: ${extra.join(', ') || 'none'})`);
    }
    assign(this.#names.map((n) => target.all.get(n)!), this.#names.map((n) => this.#shadow.get(n)!));
  }

  /**
   * Runs `fn` with the averaged weights in the model, then puts the trained weights back
   * (after the promise settles, when `fn` is async). Do not train while it runs.
   */
  evaluate<R>(fn: () => R): R {
    if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${describe(fn)}`);
    const model = namedTensors(this.#model).all;
    const live = this.#names.map((n) => model.get(n)!);
    const saved = noGrad(() => mulScalar(live, 1).map(keep));
    const restore = () => {
      assign(live, saved);
      for (const t of saved) t.dispose();
    };
    let result: R;
    try {
      this.copyTo();
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      return Promise.resolve(result).finally(restore) as R;
    }
    restore();
    return result;
  }

  /**
   * The average under the model's `stateDict()` keys (so it loads into the model directly),
   * as new references, and `{decay, numUpdates}` as JSON.
   */
  stateDict(): { meta: EMAMeta; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    for (const [name, t] of this.#shadow) if (this.#persistent.has(name)) tensors.set(name, t.detach());
    return { meta: { decay: this.decay, numUpdates: this.numUpdates }, tensors };
  }

  /** Restores a state dict written by `stateDict()`; everything is checked before anything is copied. */
  loadStateDict(stateDict: { meta: EMAMeta; tensors: Map<string, Tensor> | Record<string, Tensor> }): void {
    const o = checkObject(stateDict, 'EMA.loadStateDict()');
    const meta = parseOptions(emaMeta, o.meta, 'EMA.loadStateDict() meta');
    const source = o.tensors instanceof Map ? o.tensors as Map<string, unknown> : new Map(Object.entries(checkObject(o.tensors, 'EMA.loadStateDict() tensors')));
    const missing = [...this.#persistent].filter((k) => !source.has(k));
    const extra = [...source.keys()].filter((k) => !this.#persistent.has(k));
    if (missing.length || extra.length) {
      throw new TorchError(`EMA.loadStateDict(): missing keys: ${missing.join(', ') || 'none'}; unexpected keys: ${extra.join(', ') || 'none'}`);
    }
    for (const [k, t] of source) {
      const want = this.#shadow.get(k)!.shape;
      if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for '${k}' but received ${describe(t)}`);
      if (t.shape.length !== want.length || t.shape.some((s, i) => s !== want[i])) {
        throw new TypeError(`Expected shape [${want.join(', ')}] for '${k}' but received [${t.shape.join(', ')}]`);
      }
    }
    noGrad(() => {
      for (const [k, t] of source) this.#shadow.get(k)!.copy_(t as Tensor);
    });
    this.decay = meta.decay;
    this.numUpdates = meta.numUpdates;
  }

  /** Frees the averaged copies. */
  dispose(): void {
    for (const t of this.#shadow.values()) t.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
