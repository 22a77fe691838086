// Tensors and modules cannot cross threads: their data is libtorch's, owned by the thread that
// made it. postMessage and structuredClone copy only own enumerable properties (never a private
// field), so a Tensor would arrive as an empty, useless object and a model as a DataCloneError
// naming some field. Each carries one shared guard object instead: cloning it reads its getter,
// which throws a TypeError that says what to send.

/** The message of the TypeError thrown when a Tensor is cloned or serialized. */
export const TENSOR_CLONE_MESSAGE = 'A torchnode Tensor cannot be sent to another thread or serialized (postMessage, structuredClone, ' +
  'JSON.stringify): its data belongs to libtorch in the thread that made it. Send a copy instead, ' +
  '{ data: t.toTypedArray(), shape: t.shape, dtype: t.dtype }, and rebuild it there with torch.tensor(data, { shape, dtype })';

/** The message of the TypeError thrown when a Module is cloned or serialized. */
export const MODULE_CLONE_MESSAGE = 'A torchnode Module cannot be sent to another thread or serialized (postMessage, structuredClone, ' +
  'JSON.stringify): its parameters belong to libtorch in the thread that made it. Send its weights instead: ' +
  "torch.save(model.stateDict(), file, { metadata: { model: 'resnet20' } }) here, torch.train.loadModel(file) there";

function guard(message: string): object {
  return Object.freeze(Object.defineProperty({}, 'guard', {
    enumerable: true,
    get(): never {
      throw new TypeError(message);
    },
  }));
}

/** @internal Shared by every Tensor: one field, no per-tensor cost beyond a pointer. */
export const TENSOR_CLONE_GUARD = guard(TENSOR_CLONE_MESSAGE);
/** @internal Shared by every Module; it is its first field, so it is met before any other. */
export const MODULE_CLONE_GUARD = guard(MODULE_CLONE_MESSAGE);
