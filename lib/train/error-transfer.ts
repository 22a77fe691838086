// Errors across threads: structured clone keeps only the built-in error types, so a TorchError
// thrown in a worker would reach the main thread as a plain Error. These send the class by name
// and rebuild it, so `instanceof` and the message are the same on both sides.
import { DatasetError } from '../data/errors.js';
import { CheckpointError, TorchError } from '../errors.js';

/** An error as it travels in a message. */
export interface SentError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable fields with plain values (CheckpointError's file and tensor, a system error's code). */
  fields: Record<string, string | number | boolean | null>;
}

type Rebuild = (message: string, fields: SentError['fields']) => Error;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const CLASSES: Record<string, Rebuild> = {
  Error: (m) => new Error(m),
  TypeError: (m) => new TypeError(m),
  RangeError: (m) => new RangeError(m),
  SyntaxError: (m) => new SyntaxError(m),
  TorchError: (m) => new TorchError(m),
  CheckpointError: (m, f) => new CheckpointError(m, str(f.file) ?? '', str(f.tensor)),
  DatasetError: (m, f) => new DatasetError(m, str(f.file)),
};

/** What of `e` can be posted to another thread. */
export function sendError(e: unknown): SentError {
  if (!(e instanceof Error)) return { name: 'Error', message: `a non-Error value was thrown: ${String(e)}`, fields: {} };
  const fields: SentError['fields'] = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
  }
  return { name: e.name, message: e.message, ...(e.stack !== undefined && { stack: e.stack }), fields };
}

/** The error `sent` describes, as its own class when torchnode knows it (else a plain Error keeping its name). */
export function reviveError(sent: SentError): Error {
  const rebuild = Object.hasOwn(CLASSES, sent.name) ? CLASSES[sent.name]! : null;
  const e = rebuild ? rebuild(sent.message, sent.fields) : Object.assign(new Error(sent.message), { name: sent.name });
  for (const [k, v] of Object.entries(sent.fields)) if (!(k in e)) (e as unknown as Record<string, unknown>)[k] = v;
  // the worker's stack says where it went wrong; the main thread's would only show the relay
  if (sent.stack !== undefined) e.stack = sent.stack;
  return e;
}
