// The optimizer base: parameter groups, per-parameter state, zeroGrad and state dicts.
import type { z } from 'zod';

import { noGrad } from '../autograd.js';
import { tensor } from '../creation.js';
import { isFloating } from '../dtype.js';
import { describe } from '../errors.js';
import { parseOptions } from '../options.js';
import { keep, tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { checkObject } from './fields.js';

/** One parameter group: its tensors and its own hyper-parameters (change them between steps). */
export type ParamGroup<H> = H & { params: Tensor[] };

/** A parameter group as a constructor takes it: tensors plus options overriding the defaults. */
export type ParamGroupInput<O> = Partial<O> & { params: Tensor[] };

/** Per-parameter state under PyTorch's names: buffers as tensors, counts as numbers. */
export type ParamState = Record<string, Tensor | number | undefined>;

/** The JSON-able half of a state dict: what PyTorch keeps in `param_groups`. */
export interface OptimizerMeta {
  /** The class that wrote it, 'SGD' or 'AdamW'. */
  optimizer: string;
  /** Each group's hyper-parameters and the indices of its parameters (counted across groups). */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/**
 * An optimizer's state: `meta` is plain JSON, `tensors` holds the state tensors under
 * PyTorch's keys (`state.<paramIndex>.momentum_buffer`, `state.<i>.exp_avg`, `state.<i>.step`).
 *
 * @example
 * const { meta, tensors } = optimizer.stateDict();
 * torch.save(tensors, 'opt.safetensors', { metadata: { optim: JSON.stringify(meta) } });
 * optimizer.loadStateDict({ meta: JSON.parse(torch.loadMetadata('opt.safetensors').optim!), tensors: torch.load('opt.safetensors') });
 */
export interface OptimizerStateDict {
  meta: OptimizerMeta;
  tensors: Map<string, Tensor> | Record<string, Tensor>;
}

/** Which state entries a parameter with state must have: tensors shaped like it, and counts. */
export interface StateSpec {
  buffers: readonly string[];
  counts: readonly string[];
}

type Schema = z.ZodObject<Record<string, z.ZodType>>;

const STATE_KEY = /^state\.(\d+)\.([A-Za-z_][A-Za-z0-9_]*)$/;

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Base of torchnode's optimizers. `step()` updates every parameter that has a gradient, with
 * multi-tensor (foreach) ops over each group; parameters without a gradient are skipped.
 *
 * @example
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export abstract class Optimizer<H extends { lr: number }, S extends ParamState = ParamState> {
  /** The parameter groups; each group's hyper-parameters may be changed between steps. */
  readonly paramGroups: ParamGroup<H>[];
  /** @internal State of each parameter that has stepped. */
  protected readonly state = new Map<Tensor, S>();
  readonly #name: string;
  readonly #schema: Schema;
  readonly #check: (h: H, where: string) => void;

  protected constructor(name: string, params: unknown, options: unknown, schema: Schema, check: (h: H, where: string) => void) {
    this.#name = name;
    this.#schema = schema;
    this.#check = check;
    const fn = `${name}()`;
    const defaults = checkObject(options, fn);
    const groups = splitGroups(params, fn);
    this.paramGroups = groups.map(({ params, overrides }, i) => {
      const where = overrides === null ? fn : `${fn} param group ${i}`;
      return { ...this.#parse({ ...defaults, ...overrides }, where), params };
    });
  }

  #parse(raw: unknown, where: string): H {
    const h = parseOptions(this.#schema, raw, where) as unknown as H;
    this.#check(h, where);
    return h;
  }

  /** The first group's learning rate; setting it sets every group's. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  set lr(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`Expected a non-negative number for lr but received ${describe(value)}`);
    }
    for (const g of this.paramGroups) g.lr = value;
  }

  /** Sets every parameter's gradient to null (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient, without recording autograd. */
  step(): void {
    noGrad(() => tidy(() => {
      for (const group of this.paramGroups) {
        const params: Tensor[] = [];
        const grads: Tensor[] = [];
        for (const p of group.params) {
          const g = p.grad;
          if (g === undefined) continue;
          params.push(p);
          grads.push(g);
        }
        if (params.length > 0) this.update(group, params, grads);
      }
    }));
  }

  /** Updates one group's parameters that have gradients; new state tensors must be kept. */
  protected abstract update(group: ParamGroup<H>, params: Tensor[], grads: Tensor[]): void;

  /** The state entries a parameter of this group has once it has stepped. */
  protected abstract stateSpec(group: H): StateSpec;

  /**
   * The hyper-parameters and state, for a checkpoint. Its tensors are new references to the
   * live state (as in PyTorch): save them before the next `step()`, and dispose them (or call
   * inside `torch.tidy`). Step counts are float32 scalars, as PyTorch 1.13 writes them.
   */
  stateDict(): { meta: OptimizerMeta; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    let index = 0;
    const paramGroups = this.paramGroups.map(({ params, ...hyper }) => {
      const indices = params.map((p) => {
        for (const [name, v] of Object.entries(this.state.get(p) ?? {})) {
          if (v instanceof Tensor) tensors.set(`state.${index}.${name}`, v.detach());
          else if (typeof v === 'number') tensors.set(`state.${index}.${name}`, tensor(v, { dtype: 'float32' }));
        }
        return index++;
      });
      return { ...structuredClone(hyper), params: indices };
    });
    return { meta: { optimizer: this.#name, paramGroups }, tensors };
  }

  /**
   * Restores hyper-parameters and state written by `stateDict()` for the same parameters in
   * the same order, copying the tensors (to each parameter's device and dtype). Everything is
   * checked first: a failed load leaves the optimizer as it was.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const fn = `${this.#name}.loadStateDict()`;
    const { meta, tensors } = checkStateDict(stateDict, fn);
    if (meta.optimizer !== this.#name) {
      throw new TypeError(`Expected a state dict of ${this.#name} for stateDict but received one of ${describe(meta.optimizer)}`);
    }
    const groups = meta.paramGroups;
    if (!Array.isArray(groups) || groups.length !== this.paramGroups.length) {
      throw new TypeError(`Expected ${this.paramGroups.length} param groups for meta.paramGroups but received ${describe(groups)}`);
    }
    const hypers = groups.map((g, i) => {
      const { params, ...hyper } = checkObject(g, `${fn} param group ${i}`);
      const want = this.paramGroups[i]!.params.length;
      if (!Array.isArray(params) || params.length !== want) {
        throw new TypeError(`Expected ${want} parameter indices for meta.paramGroups[${i}].params but received ${describe(params)}`);
      }
      return this.#parse(hyper, `${fn} param group ${i}`);
    });
    const entries = this.#collect(tensors, hypers);
    tidy(() => noGrad(() => {
      const next = new Map<Tensor, S>();
      for (const [param, byName] of entries) {
        const s: ParamState = {};
        for (const [name, t] of byName) {
          s[name] = typeof t === 'number' ? t : keep(t.to({ device: param.device, dtype: param.dtype, copy: true }));
        }
        next.set(param, s as S);
      }
      this.#disposeState();
      for (const [p, s] of next) this.state.set(p, s);
    }));
    hypers.forEach((h, i) => Object.assign(this.paramGroups[i]!, h));
  }

  /** Sorts the state tensors by parameter and checks them against each group's spec. */
  #collect(tensors: Map<string, Tensor>, hypers: H[]): Map<Tensor, Map<string, Tensor | number>> {
    const where: { param: Tensor; spec: StateSpec }[] = [];
    this.paramGroups.forEach((g, i) => {
      const spec = this.stateSpec(hypers[i]!);
      for (const param of g.params) where.push({ param, spec });
    });
    const byIndex = new Map<number, Map<string, Tensor | number>>();
    for (const [key, t] of tensors) {
      const m = STATE_KEY.exec(key);
      const index = m ? Number(m[1]) : -1;
      const slot = where[index];
      if (!slot) {
        throw new TypeError(`Unexpected state tensor '${key}' for ${this.#name}: expected keys state.<index>.<name> with an index below ${where.length}`);
      }
      const name = m![2]!;
      const isBuffer = slot.spec.buffers.includes(name);
      if (!isBuffer && !slot.spec.counts.includes(name)) {
        const names = [...slot.spec.buffers, ...slot.spec.counts];
        throw new TypeError(`Unexpected state tensor '${key}' for ${this.#name}: parameter ${index} has ${names.length ? names.join(', ') : 'no state'}`);
      }
      if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for '${key}' but received ${describe(t)}`);
      const entry = byIndex.get(index) ?? new Map<string, Tensor | number>();
      byIndex.set(index, entry);
      if (isBuffer) {
        if (!sameShape(t.shape, slot.param.shape)) {
          throw new TypeError(`Expected shape [${slot.param.shape.join(', ')}] for '${key}' but received [${t.shape.join(', ')}]`);
        }
        entry.set(name, t);
      } else {
        const n = t.numel() === 1 ? Number(t.item()) : NaN;
        if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`Expected a non-negative integer count for '${key}' but received ${describe(n)}`);
        entry.set(name, n);
      }
    }
    const out = new Map<Tensor, Map<string, Tensor | number>>();
    for (const [index, entry] of byIndex) {
      const { param, spec } = where[index]!;
      const missing = [...spec.buffers, ...spec.counts].filter((n) => !entry.has(n));
      if (missing.length) throw new TypeError(`Missing state for parameter ${index} of ${this.#name}: ${missing.map((n) => `state.${index}.${n}`).join(', ')}`);
      out.set(param, entry);
    }
    return out;
  }

  #disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }

  /** Frees the state tensors (momentum buffers, moments); the parameters are untouched. */
  dispose(): void {
    this.#disposeState();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function checkStateDict(sd: unknown, fn: string): { meta: OptimizerMeta; tensors: Map<string, Tensor> } {
  const o = checkObject(sd, fn);
  const meta = checkObject(o.meta, `${fn} meta`) as unknown as OptimizerMeta;
  const t = o.tensors;
  if (t instanceof Map) return { meta, tensors: t as Map<string, Tensor> };
  return { meta, tensors: new Map(Object.entries(checkObject(t, `${fn} tensors`) as Record<string, Tensor>)) };
}

/** The groups as given: a list of tensors is one group without overrides. */
function splitGroups(params: unknown, fn: string): { params: Tensor[]; overrides: Record<string, unknown> | null }[] {
  if (!Array.isArray(params) || params.length === 0) {
    throw new TypeError(`Expected a non-empty array of Tensors or parameter groups for params but received ${describe(params)}`);
  }
  const seen = new Set<Tensor>();
  const check = (list: unknown, what: string): Tensor[] => {
    if (!Array.isArray(list)) throw new TypeError(`Expected an array of Tensors for ${what} but received ${describe(list)}`);
    return list.map((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`Expected a Tensor for ${what}[${i}] but received ${describe(p)}`);
      if (!isFloating(p.dtype)) throw new TypeError(`Expected a floating-point Tensor for ${what}[${i}] but received one of ${p.dtype}`);
      if (!p.isLeaf) throw new TypeError(`Expected a leaf Tensor for ${what}[${i}] but received the result of an operation (${fn} cannot optimize it)`);
      if (seen.has(p)) throw new TypeError(`Expected each parameter once for ${what}[${i}] but received one that appears earlier`);
      seen.add(p);
      return p;
    });
  };
  if (params.every((p) => p instanceof Tensor)) return [{ params: check(params, 'params'), overrides: null }];
  return params.map((g, i) => {
    const { params: list, ...overrides } = checkObject(g, `${fn} param group ${i}`);
    return { params: check(list, `params[${i}].params`), overrides };
  });
}
