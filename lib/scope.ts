// Tensor lifetimes: explicit dispose(), tidy() scopes that free in bulk, and a
// FinalizationRegistry as the backstop for tensors that escape every scope.
import { native, type Handle } from './native.js';

/** What a scope needs of a tensor. */
export interface Scoped {
  readonly isDisposed: boolean;
  dispose(): void;
  /** @internal */ _handleForRegistry(): Handle;
  /** @internal */ _registered: boolean;
  /** @internal */ _kept: boolean;
}

const registry = new FinalizationRegistry<Handle>((h) => native.dispose(h));
let current: Scoped[] | null = null;

/** Called for every new tensor: the innermost tidy() owns it, or else the garbage collector. */
export function track(t: Scoped): void {
  if (current !== null) current.push(t);
  else backstop(t);
}

function backstop(t: Scoped): void {
  t._registered = true;
  registry.register(t, t._handleForRegistry(), t);
}

/** Called by dispose(): the finalizer must not free the handle a second time. */
export function untrack(t: Scoped): void {
  // freed as soon as made (`op().dispose()` in a loop): leave the scope now, so it does not grow
  if (current !== null && current[current.length - 1] === t) current.pop();
  if (t._registered) {
    t._registered = false;
    registry.unregister(t);
  }
}

function isThenable(v: unknown): boolean {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

function collect(value: unknown, into: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if ('_handleForRegistry' in value) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor it created, except those it returns (alone, or in
 * arrays, Maps and plain objects) and those passed to {@link keep}. Survivors move to the
 * enclosing scope. `fn` must be synchronous.
 *
 * @example
 * const loss = torch.tidy(() => model.forward(x).logSoftmax(1).mean());
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('torch.tidy(fn) expects a function');
  const outer = current;
  const scope: Scoped[] = [];
  current = scope;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    current = outer;
    for (const t of scope) if (!t._kept) t.dispose();
    adopt(scope.filter((t) => t._kept), outer);
    throw e;
  }
  current = outer;
  if (isThenable(result)) {
    for (const t of scope) if (!t._kept) t.dispose();
    throw new TypeError('torch.tidy(fn) needs a synchronous function: tensors would be freed before the promise settles');
  }
  const survivors = new Set<unknown>();
  collect(result, survivors);
  const kept: Scoped[] = [];
  for (const t of scope) {
    if (t.isDisposed) continue;
    if (t._kept || survivors.has(t)) kept.push(t);
    else t.dispose();
  }
  adopt(kept, outer);
  return result;
}

function adopt(tensors: Scoped[], outer: Scoped[] | null): void {
  for (const t of tensors) {
    if (outer !== null) outer.push(t);
    else backstop(t);
  }
}

/**
 * Keeps a tensor alive past every enclosing {@link tidy}; returns it.
 * @example
 * let total!: Tensor;
 * torch.tidy(() => { total = torch.keep(torch.zeros([])); }); // total survives the scope
 */
export function keep<T extends Scoped>(t: T): T {
  t._kept = true;
  return t;
}
