// Grad mode: a thread-local libtorch flag, set around synchronous functions only.
import { native } from './native.js';

function withGradMode<T>(enabled: boolean, fn: () => T, name: string): T {
  if (typeof fn !== 'function') throw new TypeError(`${name}(fn) expects a function`);
  const previous = native.setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } finally {
    native.setGradEnabled(previous);
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError(`${name}(fn) needs a synchronous function: grad mode cannot follow an await`);
  }
  return result;
}

/**
 * Runs `fn` without recording operations for autograd (evaluation, optimizer updates).
 * @example const logits = torch.noGrad(() => model.forward(x));
 */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn, 'torch.noGrad');

/** Runs `fn` with autograd recording, even inside `noGrad`. @example torch.noGrad(() => torch.enableGrad(() => w.mul(2).sum().backward())); */
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn, 'torch.enableGrad');

/** Whether operations are being recorded for autograd. @example torch.noGrad(() => torch.isGradEnabled()); // false */
export const isGradEnabled = (): boolean => native.isGradEnabled();

/**
 * Turns autograd recording on or off until changed again.
 * @example
 * const was = torch.isGradEnabled();
 * torch.setGradEnabled(false);
 * try { evaluate(model); } finally { torch.setGradEnabled(was); }
 */
export function setGradEnabled(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new TypeError('torch.setGradEnabled(enabled) expects a boolean');
  native.setGradEnabled(enabled);
}
