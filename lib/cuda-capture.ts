// Whether this thread is capturing a CUDA graph: host syncs are refused with a clear error
// before they reach CUDA (where they would invalidate the capture with an obscure one).
import { TorchError } from './errors.js';

let depth = 0;

/** Counts a capture that begins (+1) or ends (-1) on this thread. */
export function countCapture(delta: 1 | -1): void {
  depth += delta;
}

/** Whether a CUDA graph capture is open on this thread (JS side; no device call). */
export const capturing = (): boolean => depth > 0;

/** Throws if a capture is open: `what` waits for the device, which a graph cannot capture. */
export function refuseWhileCapturing(what: string): void {
  if (depth > 0) {
    throw new TorchError(`CUDA graph capture: ${what} waits for the device, a sync that a graph cannot capture; call it before or after capture`);
  }
}
