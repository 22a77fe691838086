// Sequential, and the rule modules follow to free intermediate results early.
import { describe } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/**
 * Applies `steps` in order, disposing each intermediate result as soon as the next exists.
 * The input and any step that returns its own input (in-place ops, Identity) are left alone;
 * autograd keeps its own references to what backward needs.
 *
 * @example
 * const y = nn.chain(x, (t) => conv.forward(t), (t) => bn.forward(t), (t) => t.relu());
 */
export function chain(input: Tensor, ...steps: ((x: Tensor) => Tensor)[]): Tensor {
  let x = input;
  for (const step of steps) {
    const y = step(x);
    if (x !== input && y !== x) x.dispose();
    x = y;
  }
  return x;
}

/**
 * Modules applied in order; children are named '0', '1', ... as in PyTorch.
 * @example new nn.Sequential(new nn.Conv2d({...}), new nn.BatchNorm2d({...}), new nn.ReLU())
 */
export class Sequential extends Module {
  readonly #items: Module[];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Expected a Module for Sequential item ${i} but received ${describe(m)}`);
      this.registerModule(String(i), m);
    });
    this.#items = modules;
  }

  get length(): number {
    return this.#items.length;
  }

  at(index: number): Module | undefined {
    return this.#items.at(index);
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    return chain(input, ...this.#items.map((m) => (x: Tensor) => m.forward(x)));
  }
}

function notCallable(name: string): never {
  throw new TypeError(`${name} has no forward: call its modules' forward in the forward of the module that holds it`);
}

/**
 * A list of child modules, registered under '0', '1', ... so their tensors carry PyTorch's names.
 * It has no forward of its own.
 * @example
 * blocks = this.registerModule('blocks', new nn.ModuleList([...Array(4)].map(() => new Block())));
 * forward(x: Tensor) { for (const b of this.blocks) x = b.forward(x); return x; }
 */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    if (modules === null || typeof (modules as Iterable<M>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`Expected an iterable of Modules for modules but received ${describe(modules)}`);
    }
    this.extend(modules);
  }

  get length(): number {
    return this.#items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M | undefined {
    return this.#items.at(index);
  }

  /** Adds a module at the end, registered as the next index; returns this list. */
  append(module: M): this {
    if (!(module instanceof Module)) throw new TypeError(`Expected a Module for ModuleList item ${this.#items.length} but received ${describe(module)}`);
    this.registerModule(String(this.#items.length), module);
    this.#items.push(module);
    return this;
  }

  /** Appends each module in order; returns this list. */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  forward(): Tensor {
    return notCallable('ModuleList');
  }
}

/**
 * Child modules by name, in insertion order, registered under their keys.
 * It has no forward of its own.
 * @example
 * heads = this.registerModule('heads', new nn.ModuleDict({ cls: new nn.Linear({ inFeatures: 64, outFeatures: 10 }) }));
 * forward(x: Tensor) { return this.heads.get('cls')!.forward(x); }
 */
export class ModuleDict<M extends Module = Module> extends Module {
  readonly #items = new Map<string, M>();

  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    if (modules === null || typeof modules !== 'object') {
      throw new TypeError(`Expected a record or an iterable of [name, Module] pairs for modules but received ${describe(modules)}`);
    }
    const entries = Symbol.iterator in modules ? (modules as Iterable<[string, M]>) : Object.entries(modules);
    for (const [name, m] of entries) this.set(name, m);
  }

  get size(): number {
    return this.#items.size;
  }

  get(name: string): M | undefined {
    return this.#items.get(name);
  }

  has(name: string): boolean {
    return this.#items.has(name);
  }

  /** Registers a module under a new name; returns this dict. */
  set(name: string, module: M): this {
    if (!(module instanceof Module)) throw new TypeError(`Expected a Module for ModuleDict item '${String(name)}' but received ${describe(module)}`);
    this.registerModule(name, module);
    this.#items.set(name, module);
    return this;
  }

  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  values(): IterableIterator<M> {
    return this.#items.values();
  }

  entries(): IterableIterator<[string, M]> {
    return this.#items.entries();
  }

  [Symbol.iterator](): Iterator<[string, M]> {
    return this.#items.entries();
  }

  forward(): Tensor {
    return notCallable('ModuleDict');
  }
}
