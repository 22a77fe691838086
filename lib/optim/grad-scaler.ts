// Dynamic loss scaling for float16 training, with torch.cuda.amp.GradScaler's semantics.
import { z } from 'zod';

import { noGrad } from '../autograd.js';
import { describe, TorchError } from '../errors.js';
import { foreach, stack } from '../functions.js';
import { parseOptions } from '../options.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { boolean, nonNegativeInt, positive, positiveInt } from './fields.js';
import { norms } from './foreach-ops.js';

/** What the scaler needs of an optimizer: its parameters and its step. */
export interface Steppable {
  readonly paramGroups: readonly { readonly params: readonly Tensor[] }[];
  step(): void;
}

const scalerOptions = z.strictObject({
  initScale: positive.default(65536),
  growthFactor: z.number().gt(1).describe('a number above 1').default(2),
  backoffFactor: z.number().gt(0).lt(1).describe('a number in (0, 1)').default(0.5),
  growthInterval: positiveInt.default(2000),
  enabled: boolean.default(true),
});
export type GradScalerOptions = z.input<typeof scalerOptions>;

const scalerState = z.strictObject({
  scale: positive,
  growthFactor: scalerOptions.shape.growthFactor.unwrap(),
  backoffFactor: scalerOptions.shape.backoffFactor.unwrap(),
  growthInterval: positiveInt,
  growthTracker: nonNegativeInt,
});
/** A scaler's whole state, plain JSON. */
export type GradScalerState = z.output<typeof scalerState>;

type Stage = 'unscaled' | 'stepped';

/**
 * Scales the loss so that float16 gradients do not underflow, unscales the gradients before
 * the optimizer step, skips steps whose gradients hold inf or NaN and adapts the scale:
 * times `backoffFactor` after an overflow, times `growthFactor` after `growthInterval` clean steps.
 * The scale lives in JS; the overflow check reads one flag from the device per step.
 *
 * @example
 * const scaler = new torch.optim.GradScaler();
 * optimizer.zeroGrad();
 * scaler.scale(loss).backward();
 * scaler.step(optimizer); // unscales, then steps unless a gradient overflowed
 * scaler.update();
 */
export class GradScaler {
  #scale: number;
  #growthFactor: number;
  #backoffFactor: number;
  #growthInterval: number;
  #growthTracker = 0;
  readonly #enabled: boolean;
  /** Per optimizer since the last update(): how far it got, and whether its gradients overflowed. */
  readonly #stages = new Map<Steppable, { stage: Stage; foundInf: boolean }>();

  constructor(options?: GradScalerOptions) {
    const o = parseOptions(scalerOptions, options, 'GradScaler()');
    this.#scale = Math.fround(o.initScale);
    this.#growthFactor = o.growthFactor;
    this.#backoffFactor = o.backoffFactor;
    this.#growthInterval = o.growthInterval;
    this.#enabled = o.enabled;
  }

  /** Whether scaling is on (when off, `scale` returns the loss and `step` just steps). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The current scale (a float32 value, as PyTorch keeps it); 1 when disabled. */
  getScale(): number {
    return this.#enabled ? this.#scale : 1;
  }

  /** `loss * scale`, a new tensor to call `backward()` on. */
  scale(loss: Tensor): Tensor {
    if (!(loss instanceof Tensor)) throw new TypeError(`Expected a Tensor for loss but received ${describe(loss)}`);
    return this.#enabled ? loss.mul(this.#scale) : loss;
  }

  /**
   * Divides the optimizer's gradients by the scale in place (e.g. before gradient clipping) and
   * records whether any is inf or NaN. At most once per optimizer between `update()` calls.
   */
  unscale(optimizer: Steppable): void {
    if (!this.#enabled) return;
    const stage = this.#stages.get(optimizer)?.stage;
    if (stage === 'unscaled') throw new TorchError('GradScaler.unscale() has already been called on this optimizer since the last update()');
    if (stage === 'stepped') throw new TorchError('GradScaler.unscale() is being called after step()');
    // 1 / scale in double, rounded to float32, as PyTorch computes inv_scale.
    const inverse = Math.fround(1 / this.#scale);
    const foundInf = noGrad(() => tidy(() => {
      const byDevice = new Map<string, Tensor[]>();
      for (const g of optimizer.paramGroups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (grad === undefined) continue;
          const list = byDevice.get(grad.device);
          if (list) list.push(grad);
          else byDevice.set(grad.device, [grad]);
        }
      }
      let inf = false;
      for (const grads of byDevice.values()) {
        // The largest |g| of each tensor, then of all: NaN and inf survive max, finite values cannot overflow.
        const worst = stack(norms(grads, Infinity)).max().item() as number;
        if (!Number.isFinite(worst)) inf = true;
        foreach.mul_(grads, inverse);
      }
      return inf;
    }));
    this.#stages.set(optimizer, { stage: 'unscaled', foundInf });
  }

  /**
   * Unscales the gradients (unless `unscale` already did) and runs `optimizer.step()` unless
   * one of them is inf or NaN. Returns whether the optimizer stepped.
   */
  step(optimizer: Steppable): boolean {
    if (!this.#enabled) {
      optimizer.step();
      return true;
    }
    if (this.#stages.get(optimizer)?.stage === 'stepped') throw new TorchError('GradScaler.step() has already been called since the last update()');
    if (!this.#stages.has(optimizer)) this.unscale(optimizer);
    const state = this.#stages.get(optimizer)!;
    state.stage = 'stepped';
    if (state.foundInf) return false;
    optimizer.step();
    return true;
  }

  /**
   * Adapts the scale after the iteration's steps: backs off if any optimizer's gradients
   * overflowed, grows after `growthInterval` clean iterations. `newScale` sets it outright.
   */
  update(newScale?: number): void {
    if (!this.#enabled) return;
    if (newScale !== undefined) {
      if (typeof newScale !== 'number' || !(newScale > 0) || !Number.isFinite(newScale)) {
        throw new TypeError(`Expected a positive number for newScale but received ${describe(newScale)}`);
      }
      this.#scale = Math.fround(newScale);
    } else {
      if (this.#stages.size === 0) throw new TorchError('GradScaler.update(): no inf checks were recorded (call step() or unscale() first)');
      const foundInf = [...this.#stages.values()].some((s) => s.foundInf);
      this.#advance(foundInf);
    }
    this.#stages.clear();
  }

  /** PyTorch's _amp_update_scale_: scale and growth tracker kept in float32 and int32 there. */
  #advance(foundInf: boolean): void {
    if (foundInf) {
      this.#scale = Math.fround(this.#scale * this.#backoffFactor);
      this.#growthTracker = 0;
      return;
    }
    const successful = this.#growthTracker + 1;
    if (successful === this.#growthInterval) {
      const grown = Math.fround(this.#scale * this.#growthFactor);
      if (Number.isFinite(grown)) this.#scale = grown;
      this.#growthTracker = 0;
    } else {
      this.#growthTracker = successful;
    }
  }

  /** The scale, the factors and the count of clean steps since the last change. */
  stateDict(): GradScalerState {
    return {
      scale: this.#scale,
      growthFactor: this.#growthFactor,
      backoffFactor: this.#backoffFactor,
      growthInterval: this.#growthInterval,
      growthTracker: this.#growthTracker,
    };
  }

  loadStateDict(state: GradScalerState): void {
    const s = parseOptions(scalerState, state, 'GradScaler.loadStateDict()');
    this.#scale = Math.fround(s.scale);
    this.#growthFactor = s.growthFactor;
    this.#backoffFactor = s.backoffFactor;
    this.#growthInterval = s.growthInterval;
    this.#growthTracker = s.growthTracker;
  }
}
