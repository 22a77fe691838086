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
