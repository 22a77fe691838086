/**
 * An error raised by libtorch, carrying its message without the C++ backtrace.
 *
 * @example
 * try { torch.zeros([2, 3]).matmul(torch.zeros([2, 3])); }
 * catch (e) { if (e instanceof TorchError) console.error(e.message); }
 */
export class TorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchError';
  }
}

/** How a value looks in an error message: `-3 of type number`, `'x' of type string`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `'${value}' of type string`;
  if (typeof value === 'object') return value.constructor?.name === 'Tensor' ? describeTensor(value) : `an object of type ${value.constructor?.name ?? 'Object'}`;
  return `${String(value)} of type ${typeof value}`;
}

// A Tensor by what tells one from another (duck-typed: tensor.ts imports this module).
function describeTensor(t: object): string {
  try {
    const tensor = t as { isDisposed: boolean; dtype: string; shape: number[] };
    return tensor.isDisposed ? 'a disposed Tensor' : `a ${tensor.dtype} Tensor of shape [${tensor.shape.join(', ')}]`;
  } catch {
    return 'an object of type Tensor';
  }
}

/**
 * A checkpoint file that `torch.load` cannot read: truncated, malformed or inconsistent.
 * It extends TorchError so that code catching torchnode's errors still catches it, while
 * `instanceof CheckpointError` tells a bad file apart from a failed op; `file` and `tensor`
 * name what was wrong without parsing the message.
 *
 * @example
 * try { torch.load('model.safetensors'); }
 * catch (e) { if (e instanceof CheckpointError) console.error(`${e.file} is damaged: ${e.message}`); }
 */
export class CheckpointError extends TorchError {
  constructor(message: string, readonly file: string, readonly tensor?: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}
