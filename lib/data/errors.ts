// The error data sets raise for files they cannot use, so callers can tell bad data from bugs.

/**
 * A data set file, archive or source that torchnode cannot use: missing, damaged, or not the
 * canonical bytes. `file` names the file when there is one.
 *
 * @example
 * try { await loadCifar10({ split: 'train' }); }
 * catch (e) { if (e instanceof DatasetError) console.error(`${e.file ?? 'CIFAR-10'}: ${e.message}`); }
 */
export class DatasetError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** One line for a caught error, with the system code of a failed fetch (`fetch failed (ENOTFOUND)`). */
export function reasonOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const extra = cause?.code ?? cause?.message;
  return extra && !e.message.includes(extra) ? `${e.message} (${extra})` : e.message;
}
