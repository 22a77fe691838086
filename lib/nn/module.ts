// nn.Module: parameters, buffers and child modules under PyTorch's dotted names.
import type { Device } from '../device.js';
import { DTYPES, isFloating, type DType } from '../dtype.js';
import { describe, TorchError } from '../errors.js';
import { aten } from '../ops/aten.js';
import { callOp } from '../ops/registry.js';
import type { MemoryFormat } from '../options.js';
import { noGrad } from '../autograd.js';
import { MODULE_CLONE_GUARD } from '../clone-guard.js';
import { forgetTraces, forwardAsync, predict, type InferenceOptions } from '../inference.js';
import { forgetGraphs } from '../inference-graphs.js';
import { InferenceModel, type OptimizeForInferenceOptions } from '../inference-optimized.js';
import { Tensor } from '../tensor.js';

export type ModuleTarget = Device | DType | { device?: Device; dtype?: DType; memoryFormat?: MemoryFormat };

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$/;

function checkName(name: string, kind: string, taken: (n: string) => boolean): void {
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`Expected an identifier for the ${kind} name but received ${describe(name)}`);
  if (taken(name)) throw new TypeError(`'${name}' is already registered on this module`);
}

/**
 * Base class of every layer and model. Subclasses register their tensors and children in
 * field initialisers, so names follow PyTorch's `state_dict` keys, and define `forward`.
 *
 * @example
 * class Net extends nn.Module {
 *   conv = this.registerModule('conv', new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3 }));
 *   forward(x: Tensor) { return this.conv.forward(x).relu(); }
 * }
 */
export abstract class Module {
  /** @internal Makes postMessage/structuredClone of a Module a clear TypeError (see clone-guard.ts). */
  readonly _cloneGuard = MODULE_CLONE_GUARD;
  #parameters = new Map<string, Tensor | null>();
  #buffers = new Map<string, { tensor: Tensor | null; persistent: boolean }>();
  #children = new Map<string, Module>();
  /** Training mode (batch statistics, dropout) or evaluation mode. */
  training = true;

  /**
   * The computation. A subclass may take several inputs (`forward(x: Tensor, mask: Tensor)`);
   * its own signature is what callers of that class see.
   */
  abstract forward(input: Tensor, ...more: unknown[]): Tensor;

  /** Registers a parameter (a tensor that requires grad) under `name`; returns it. */
  registerParameter<T extends Tensor | null>(name: string, tensor: T): T {
    checkName(name, 'parameter', (n) => this.#taken(n));
    if (tensor !== null) {
      if (!(tensor instanceof Tensor)) throw new TypeError(`Expected a Tensor or null for parameter '${name}' but received ${describe(tensor)}`);
      if (isFloating(tensor.dtype) && !tensor.requiresGrad) tensor.requiresGrad_(true);
    }
    this.#parameters.set(name, tensor);
    return tensor;
  }

  /** Registers a buffer (state saved with the model but not trained); returns it. */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, { persistent = true } = {}): T {
    checkName(name, 'buffer', (n) => this.#taken(n));
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`Expected a Tensor or null for buffer '${name}' but received ${describe(tensor)}`);
    this.#buffers.set(name, { tensor, persistent });
    return tensor;
  }

  /** Registers a child module; its tensors are named `name.<their name>`. Returns it. */
  registerModule<M extends Module>(name: string, module: M): M {
    checkName(name, 'module', (n) => this.#taken(n));
    if (!(module instanceof Module)) throw new TypeError(`Expected a Module for '${name}' but received ${describe(module)}`);
    this.#children.set(name, module);
    return module;
  }

  #taken(name: string): boolean {
    return this.#parameters.has(name) || this.#buffers.has(name) || this.#children.has(name);
  }

  /** Replaces a registered parameter or buffer's tensor (the old one is not disposed). */
  protected replaceTensor(name: string, tensor: Tensor): void {
    if (this.#parameters.has(name)) this.#parameters.set(name, tensor);
    else if (this.#buffers.has(name)) this.#buffers.get(name)!.tensor = tensor;
    else throw new TypeError(`'${name}' is not a parameter or buffer of this module`);
  }

  *namedChildren(): Generator<[string, Module]> {
    yield* this.#children;
  }

  children(): Module[] {
    return [...this.#children.values()];
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.#children) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /** Parameters with their dotted names, in registration order. */
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, t] of m.#parameters) if (t !== null) yield [path ? `${path}.${name}` : name, t];
    }
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }

  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, b] of m.#buffers) if (b.tensor !== null) yield [path ? `${path}.${name}` : name, b.tensor];
    }
  }

  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, t]) => t);
  }

  /**
   * Calls `fn` on every descendant, children before their parent, then on this module (as
   * PyTorch's `apply`); returns this module.
   * @example model.apply((m) => { if (m instanceof nn.Linear) nn.init.zeros_(m.bias!); });
   */
  apply(fn: (module: Module) => void): this {
    if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${describe(fn)}`);
    for (const child of this.#children.values()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Sets `requiresGrad` on every parameter of this module and its descendants: false freezes
   * them (no gradients, optimizers skip them). Returns this module.
   * @example model.layer1.requiresGrad_(false);
   */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') throw new TypeError(`Expected a boolean for requiresGrad but received ${describe(requiresGrad)}`);
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`Expected a boolean for mode but received ${describe(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Moves and/or casts every parameter and buffer in place (the Tensor objects stay the same,
   * so optimizers keep working). Casts apply to floating-point tensors only; channels-last to 4-D ones.
   * @example model.to('cuda').to({ memoryFormat: 'channelsLast' });
   */
  to(target: ModuleTarget): this {
    const o = typeof target === 'string'
      ? ((DTYPES as readonly string[]).includes(target) ? { dtype: target as DType } : { device: target as Device })
      : target;
    if (o === null || typeof o !== 'object') throw new TypeError(`Expected a device, a dtype or options for Module.to() but received ${describe(target)}`);
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        const floating = isFloating(t.dtype);
        const moved = t.to({
          ...(o.device !== undefined && { device: o.device }),
          ...(o.dtype !== undefined && floating && { dtype: o.dtype }),
          ...(o.memoryFormat !== undefined && t.ndim === 4 && { memoryFormat: o.memoryFormat }),
        });
        callOp(aten.setData, t._h, moved._h);
        moved.dispose();
      }
    });
    forgetTraces(this);
    forgetGraphs(this);
    return this;
  }

  /**
   * The eval-mode, no-grad forward on a batch, computed by libtorch off the JS thread: the
   * forward is recorded once per input shape and replayed. On CPU (float32) the replay is the
   * optimised one of `optimizeForInference` (within 1e-4 of eager), made again once weights that
   * changed hold still for a call; `optimize: false` replays the eager calls exactly. It must not
   * branch on tensor values. Do not train the module while this runs.
   * @example const logits = await model.forwardAsync(images, { batchSize: 256 });
   */
  forwardAsync(input: Tensor, options?: InferenceOptions): Promise<Tensor> {
    return forwardAsync(this, input, options);
  }

  /**
   * Class probabilities (softmax of the eval-mode logits) for a batch, off the JS thread, by
   * the same replay as `forwardAsync`.
   * @example const probs = await model.predict(images); // [N, numClasses]
   */
  predict(input: Tensor, options?: InferenceOptions): Promise<Tensor> {
    return predict(this, input, options);
  }

  /**
   * A frozen inference copy: the eval forward recorded once for samples of `inputShape`, batch
   * norms folded into the convolutions before them, convolution weights in channels-last order,
   * replayed by libtorch under InferenceMode with no JS per layer, for any batch size. Results
   * match the eager module to float32 rounding; later changes to the module's weights do not
   * reach the copy (fold them again). The forward must not branch on tensor values.
   * @example
   * const fast = model.optimizeForInference({ inputShape: [3, 32, 32] });
   * const probs = await fast.predict(images);
   */
  optimizeForInference(options: OptimizeForInferenceOptions): InferenceModel {
    return new InferenceModel(this, options);
  }

  /**
   * Parameters and persistent buffers under PyTorch's `state_dict` keys, as new references
   * detached from autograd (dispose them, or call inside `torch.tidy`).
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [path, m] of this.namedModules()) {
      const key = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, t] of m.#parameters) if (t !== null) out.set(key(name), t.detach());
      for (const [name, b] of m.#buffers) if (b.tensor !== null && b.persistent) out.set(key(name), b.tensor.detach());
    }
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers (shapes must match). With
   * `strict` (the default) missing or unexpected keys are an error that lists them by name.
   * @example model.loadStateDict(torch.load('resnet34.safetensors'));
   */
  loadStateDict(stateDict: Map<string, Tensor> | Record<string, Tensor>, { strict = true } = {}): LoadResult {
    const source = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const targets = new Map<string, Tensor>();
    for (const [path, m] of this.namedModules()) {
      const key = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, t] of m.#parameters) if (t !== null) targets.set(key(name), t);
      for (const [name, b] of m.#buffers) if (b.tensor !== null && b.persistent) targets.set(key(name), b.tensor);
    }
    const missingKeys = [...targets.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !targets.has(k));
    const mismatched: string[] = [];
    for (const [k, target] of targets) {
      const value = source.get(k);
      if (value === undefined) continue;
      if (!(value instanceof Tensor)) throw new TypeError(`Expected a Tensor for '${k}' but received ${describe(value)}`);
      const [a, b] = [value.shape, target.shape];
      if (a.length !== b.length || a.some((s, i) => s !== b[i])) mismatched.push(`${k}: checkpoint [${a.join(', ')}], model [${b.join(', ')}]`);
    }
    const problems: string[] = [];
    if (mismatched.length) problems.push(`size mismatch for ${mismatched.join('; ')}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    // Nothing is copied unless everything fits: a failed load leaves the model as it was.
    if (problems.length) throw new TorchError(`Error loading state dict into ${this.constructor.name}: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [k, target] of targets) {
        const value = source.get(k);
        if (value !== undefined) target.copy_(value);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) t.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The number of elements in all parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }
}
