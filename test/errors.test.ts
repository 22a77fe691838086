// Every bad input must surface as a JS exception with a clear message, never as an abort.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import * as torch from 'torchnode';

const F = torch.nn.functional;
const DTYPE_LIST = 'float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool';

/** Asserts `fn` throws a TorchError (from libtorch) with exactly `message` and no C++ backtrace. */
function assertTorchError(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof torch.TorchError, `expected a TorchError, got ${String(e)}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'TorchError');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.doesNotMatch(e.message, /Exception raised from/);
    assert.doesNotMatch(e.message, /frame #\d+/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

/** Asserts `fn` throws an error of class `ctor` (not a TorchError) with exactly `message`. */
function assertJsError(fn: () => unknown, ctor: typeof TypeError | typeof RangeError, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ctor, `expected a ${ctor.name}, got ${String(e)}`);
    assert.ok(!(e instanceof torch.TorchError), 'argument errors are detected in JS, not by libtorch');
    assert.equal((e as Error).name, ctor.name);
    assert.equal((e as Error).message, message);
    return true;
  });
}

test('wrong argument types give TypeErrors that name the argument and the value', () => {
  const x = torch.zeros([2, 3]);
  const img = torch.zeros([1, 1, 4, 4]);
  const w = torch.zeros([1, 1, 3, 3]);
  try {
    assert.throws(() => x.add('x' as never), { name: 'TypeError', message: "Expected a Tensor or a number for other but received 'x' of type string" });
    assert.throws(() => x.mul({} as never), { name: 'TypeError', message: 'Expected a Tensor or a number for other but received an object of type Object' });
    assert.throws(() => x.sub(null as never), { name: 'TypeError', message: 'Expected a Tensor or a number for other but received null' });
    assert.throws(() => x.add(1, { alpha: '2' as never }), { name: 'TypeError', message: "Expected a number for alpha but received '2' of type string" });
    assert.throws(() => x.matmul([1, 2] as never), { name: 'TypeError', message: 'Expected a Tensor for other but received an array of length 2' });
    assert.throws(() => F.conv2d(img, 3 as never), { name: 'TypeError', message: 'Expected a Tensor for weight but received 3 of type number' });
    assert.throws(() => F.conv2d(undefined as never, w), { name: 'TypeError', message: 'Expected a Tensor for input but received undefined' });
    assert.throws(() => F.conv2d(img, w, { bias: 1 as never }), { name: 'TypeError', message: 'Expected a Tensor for bias but received 1 of type number' });
    assert.throws(() => F.conv2d(img, w, { stride: 0 }), { name: 'TypeError', message: 'Expected positive integer for stride but received 0 of type number' });
    assert.throws(() => F.conv2d(img, w, { padding: -1 }), { name: 'TypeError', message: 'Expected non-negative integer for padding but received -1 of type number' });
    assert.throws(() => F.conv2d(img, w, { padding: [1, 1.5] }), { name: 'TypeError', message: 'Expected non-negative integer for padding[1] but received 1.5 of type number' });
    assert.throws(() => F.conv2d(img, w, { dilation: [1, 1, 1] as never }), { name: 'TypeError', message: 'Expected an integer or a pair of integers for dilation but received an array of length 3' });
    assert.throws(() => torch.cat([x, 1] as never), { name: 'TypeError', message: 'Expected a Tensor for tensors[1] but received 1 of type number' });
    assert.throws(() => torch.cat(x as never), { name: 'TypeError', message: 'Expected an array of Tensors for tensors but received a float32 Tensor of shape [2, 3]' });
    assert.throws(() => torch.stack('ab' as never), { name: 'TypeError', message: "Expected an array of Tensors for tensors but received 'ab' of type string" });
    assert.throws(() => torch.full([2], 'a' as never), { name: 'TypeError', message: "Expected a number or boolean for fillValue but received 'a' of type string" });
    assert.throws(() => x.reshape('a' as never), { name: 'TypeError', message: "aten::reshape: expected an array of integers for argument 'shape' but received string" });
    assert.throws(() => F.mseLoss(x, x, { reduction: 'avg' as never }), { name: 'TypeError', message: "Expected 'none', 'mean' or 'sum' for reduction but received 'avg' of type string" });
    assert.throws(() => F.crossEntropy(x, torch.zeros([2], { dtype: 'int64' }), { labelSmoothing: 2 }),
      { name: 'TypeError', message: 'Expected a number in [0, 1] for labelSmoothing but received 2 of type number' });
    assert.throws(() => torch.setGradEnabled(1 as never), { name: 'TypeError', message: 'torch.setGradEnabled(enabled) expects a boolean' });
    assert.throws(() => torch.manualSeed(-1), { name: 'TypeError', message: 'Expected a non-negative integer below 2^64 for seed but received -1 of type number' });
    assert.throws(() => torch.setNumThreads(0), { name: 'TypeError', message: 'Expected positive integer for numThreads but received 0 of type number' });
    assert.throws(() => { torch.backends.cudnn.benchmark = 1 as never; },
      { name: 'TypeError', message: 'Expected a boolean for torch.backends.cudnn.benchmark but received 1 of type number' });
    assert.throws(() => { x.grad = 5 as never; }, { name: 'TypeError', message: 'Expected a Tensor or null for grad but received 5 of type number' });
    assert.throws(() => x.backward(5 as never), { name: 'TypeError', message: 'Expected a Tensor for gradient but received 5 of type number' });
    assert.throws(() => torch.tensor(['a'] as never), { name: 'TypeError', message: "Expected numbers, booleans or bigints in torch.tensor() data but received 'a' of type string at data[0]" });
    assert.throws(() => torch.tensor([1, true]), { name: 'TypeError', message: 'torch.tensor() data mixes numbers, booleans and bigints' });
    assert.throws(() => torch.tensor(new Uint16Array(2)), {
      name: 'TypeError',
      message: 'torch.tensor() cannot take a Uint16Array; use Float32Array, Float64Array, BigInt64Array, Int32Array, Int16Array, ' +
        'Int8Array or Uint8Array (Uint16Array with dtype float16/bfloat16)',
    });
    assert.throws(() => torch.tensor(new Float32Array(6), { shape: [4] }), { name: 'TypeError', message: 'shape [4] needs 4 elements but the data holds 6' });
    assert.throws(() => torch.tensor([1, 2], { shape: [2] }), { name: 'TypeError', message: 'the shape option is only for typed-array data: nested arrays carry their shape' });
    assert.throws(() => x.size(5), { name: 'RangeError', message: 'Dimension 5 of type number is out of range for a tensor of 2 dimensions' });
    assert.throws(() => torch.randint(5, 2, [3]), { name: 'RangeError', message: 'Expected high > low for torch.randint() but received low=5, high=2' });
    assert.throws(() => torch.arange(0, 1, 0), { name: 'RangeError', message: 'torch.arange() needs a non-zero step' });
    assert.throws(() => (torch.arange as (...a: unknown[]) => torch.Tensor)(), { name: 'TypeError', message: 'torch.arange() takes (end), (start, end) or (start, end, step), then options' });
  } finally {
    x.dispose();
    img.dispose();
    w.dispose();
  }
});

test('negative and non-integer sizes are refused before libtorch sees them', () => {
  assertJsError(() => torch.zeros([2, -1]), TypeError, 'Expected non-negative integer for size[1] but received -1 of type number');
  assertJsError(() => torch.zeros([2.5]), TypeError, 'Expected non-negative integer for size[0] but received 2.5 of type number');
  assertJsError(() => torch.ones(-3), TypeError, 'Expected non-negative integer for size but received -3 of type number');
  assertJsError(() => torch.empty([NaN]), TypeError, 'Expected non-negative integer for size[0] but received NaN of type number');
  assertJsError(() => torch.rand([2 ** 53]), TypeError, 'Expected non-negative integer for size[0] but received 9007199254740992 of type number');
  assertJsError(() => torch.randn(['2'] as never), TypeError, "Expected non-negative integer for size[0] but received '2' of type string");
  assertJsError(() => torch.zeros('a' as never), TypeError, "Expected an array of non-negative integers for size but received 'a' of type string");
  assertJsError(() => torch.randperm(-1), TypeError, 'Expected non-negative integer for n but received -1 of type number');
  assertJsError(() => torch.randint(10, [2, -2]), TypeError, 'Expected non-negative integer for size[1] but received -2 of type number');
  assertJsError(() => torch.tensor(new Float32Array(4), { shape: [2, -2] }), TypeError,
    'Expected an array of non-negative integers for shape but received -2 of type number');
});

test('unknown dtypes, devices and misspelled options are TypeErrors', () => {
  const x = torch.zeros([2]);
  try {
    assertJsError(() => torch.zeros([2], { dtype: 'float' as never }), TypeError, `Expected one of ${DTYPE_LIST} for dtype but received 'float' of type string`);
    assertJsError(() => torch.tensor([1], { dtype: 'double' as never }), TypeError, `Expected one of ${DTYPE_LIST} for dtype but received 'double' of type string`);
    assertJsError(() => x.to({ dtype: 'int' as never }), TypeError, `Expected one of ${DTYPE_LIST} for dtype but received 'int' of type string`);
    assertJsError(() => torch.zeros([2], { device: 'tpu' }), TypeError, "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'tpu' of type string");
    assertJsError(() => torch.zeros([2], { device: 'cpu:1' }), TypeError, "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'cpu:1' of type string");
    assertJsError(() => torch.zeros([2], { device: 'cuda:x' }), TypeError, "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'cuda:x' of type string");
    assertJsError(() => x.to('tpu' as never), TypeError, "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'tpu' of type string");
    // a misspelled dtype passed positionally is read as a device
    assertJsError(() => x.to('float' as never), TypeError, "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'float' of type string");
    assertJsError(() => torch.zeros([2], { device: 0 as never }), TypeError, "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 0 of type number");
    assertJsError(() => torch.zeros([2], { dtpe: 'float32' } as never), TypeError, "Unknown option 'dtpe' for torch.zeros(); its options are dtype, device, requiresGrad");
    assertJsError(() => torch.tensor([1], { requiresGrads: true } as never), TypeError,
      "Unknown option 'requiresGrads' for torch.tensor(); its options are dtype, device, requiresGrad, shape");
    assertJsError(() => x.to({ memoryformat: 'channelsLast' } as never), TypeError,
      "Unknown option 'memoryformat' for Tensor.to(); its options are device, dtype, memoryFormat, copy, nonBlocking");
    assertJsError(() => x.to({ memoryFormat: 'nhwc' as never }), TypeError,
      "Expected 'contiguous', 'preserve' or 'channelsLast' for memoryFormat but received 'nhwc' of type string");
    assertJsError(() => x.backward(null, { retain_graph: true } as never), TypeError,
      "Unknown option 'retain_graph' for Tensor.backward(); its options are retainGraph, createGraph");
    assertJsError(() => torch.zeros([2], { requiresGrad: 'yes' as never }), TypeError, "Expected a boolean for requiresGrad but received 'yes' of type string");
    assertJsError(() => torch.zeros([2], 5 as never), TypeError, 'Expected an options object for torch.zeros() but received 5 of type number');
    assertJsError(() => x.to(5 as never), TypeError, 'Expected an options object for Tensor.to() but received 5 of type number');
  } finally {
    x.dispose();
  }
});

test('shape errors from libtorch are TorchErrors without the C++ backtrace', () => {
  const a = torch.zeros([2, 3]);
  const b = torch.zeros([2, 3]);
  try {
    assertTorchError(() => a.matmul(b), 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
    assertTorchError(() => torch.matmul(a, b), 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
    assertTorchError(() => a.add(torch.tidy(() => torch.zeros([4]))), 'The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1');
    assertTorchError(() => a.view(4), "shape '[4]' is invalid for input of size 6");
    assertTorchError(() => a.sum(5), 'Dimension out of range (expected to be in range of [-2, 1], but got 5)');
    assertTorchError(() => a.item(), 'a Tensor with 6 elements cannot be converted to Scalar');
    assertTorchError(() => a.narrow(0, 1, 5), 'start (1) + length (5) exceeds dimension size (2).');
    assertTorchError(() => torch.cat([]), 'torch.cat(): expected a non-empty list of Tensors');
    assertTorchError(() => torch.cat([a, torch.tidy(() => torch.zeros([2, 2]))], 0),
      'Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list.');
    assertTorchError(() => F.conv2d(a, torch.tidy(() => torch.zeros([1, 1, 3, 3]))),
      'Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]');
    assertTorchError(() => F.maxPool2d(torch.tidy(() => torch.zeros([1, 1, 4, 4])), 10),
      'Given input size: (1x4x4). Calculated output size: (1x0x0). Output size is too small');
    assertTorchError(() => F.crossEntropy(a, torch.tidy(() => torch.zeros([3], { dtype: 'int64' }))),
      'Expected input batch_size (2) to match target batch_size (3).');
    assertTorchError(() => a.indexSelect(0, torch.tidy(() => torch.tensor([5], { dtype: 'int64' }))), 'index out of range in self');
    assertTorchError(() => a.sum().backward(), 'element 0 of tensors does not require grad and does not have a grad_fn');
  } finally {
    a.dispose();
    b.dispose();
  }
  // the failed ops leaked nothing: operands created in tidy scopes were freed
});

test('backward errors from libtorch are TorchErrors', () => {
  torch.tidy(() => {
    const x = torch.ones([2], { requiresGrad: true });
    assertTorchError(() => x.mul(2).backward(), 'grad can be implicitly created only for scalar outputs');
    const y = x.mul(x).sum();
    y.backward();
    assertTorchError(() => y.backward(), 'Trying to backward through the graph a second time (or directly access saved tensors after ' +
      'they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or ' +
      'autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to ' +
      'access saved tensors after calling backward.');
  });
});

test("CUDA requested where there is none gives TorchError 'CUDA is not available: ...'", (t) => {
  if (torch.cuda.isAvailable()) {
    t.skip('a CUDA device is available: cuda.test.ts covers it');
    return;
  }
  const why = torch.buildInfo.cuda
    ? 'no CUDA device is visible'
    : `torchnode was built against libtorch ${torch.buildInfo.version} without CUDA`;
  assertTorchError(() => torch.zeros([2], { device: 'cuda' }), `CUDA is not available: ${why} (asked for 'cuda')`);
  assertTorchError(() => torch.ones([2], { device: 'cuda:0' }), `CUDA is not available: ${why} (asked for 'cuda:0')`);
  assertTorchError(() => torch.tensor([1, 2], { device: 'cuda' }), `CUDA is not available: ${why} (asked for 'cuda')`);
  const x = torch.zeros([2]);
  try {
    assertTorchError(() => x.to('cuda'), `CUDA is not available: ${why} (asked for 'cuda')`);
    assertTorchError(() => x.cuda(1), `CUDA is not available: ${why} (asked for 'cuda:1')`);
    assertTorchError(() => x.to({ device: 'cuda:3', dtype: 'float64' }), `CUDA is not available: ${why} (asked for 'cuda:3')`);
  } finally {
    x.dispose();
  }
});

test('a disposed tensor cannot be used, as the receiver or as an argument', () => {
  const live = torch.ones([2]);
  const d = torch.ones([2]);
  d.dispose();
  const disposed = { name: 'TypeError', message: 'This tensor has been disposed: it can no longer be used' };
  try {
    assert.throws(() => d.add(1), disposed);
    assert.throws(() => d.shape, disposed);
    assert.throws(() => d.dtype, disposed);
    assert.throws(() => d.toArray(), disposed);
    assert.throws(() => d.item(), disposed);
    assert.throws(() => d.requiresGrad, disposed);
    assert.throws(() => live.add(d), disposed);
    assert.throws(() => torch.cat([live, d]), disposed);
    assert.throws(() => F.relu(d), disposed);
    assert.throws(() => { live.grad = d; }, disposed);
    // what still works on a disposed tensor
    assert.equal(d.isDisposed, true);
    assert.equal(d.toString(), 'Tensor(disposed)');
    d.dispose();
    assert.deepEqual(torch.tidy(() => live.add(1).toArray()), [2, 2]);
  } finally {
    live.dispose();
  }
});

test('toTypedArrayAsync on a disposed tensor rejects with the disposed TypeError', async () => {
  const d = torch.ones([2]);
  d.dispose();
  await assert.rejects(d.toTypedArrayAsync(), { name: 'TypeError', message: 'This tensor has been disposed: it can no longer be used' });
});

test('new torch.Tensor() is refused', () => {
  const message = 'Tensors are made by torch.tensor(), torch.zeros() and the other factories, not with new';
  const Ctor = torch.Tensor as unknown as new (...args: unknown[]) => unknown;
  assert.throws(() => new Ctor(), { name: 'TypeError', message });
  assert.throws(() => new Ctor(Symbol('torchnode.internal'), {}), { name: 'TypeError', message });
});

test('requiresGrad on an integer tensor is an error', () => {
  const before = torch.memory().liveTensors;
  assertJsError(() => torch.tensor([1, 2], { dtype: 'int64', requiresGrad: true }), TypeError,
    'Only floating-point tensors can require gradients, not int64');
  assertJsError(() => torch.tensor(new Int32Array(2), { requiresGrad: true }), TypeError,
    'Only floating-point tensors can require gradients, not int32');
  assertJsError(() => torch.tensor([true], { requiresGrad: true }), TypeError,
    'Only floating-point tensors can require gradients, not bool');
  // the same check for the factories and requiresGrad_()
  assertJsError(() => torch.zeros([2], { dtype: 'int64', requiresGrad: true }), TypeError, 'Only floating-point tensors can require gradients, not int64');
  assertJsError(() => torch.arange(3, { requiresGrad: true }), TypeError, 'Only floating-point tensors can require gradients, not int64');
  const i = torch.zeros([2], { dtype: 'int32' });
  try {
    assertJsError(() => i.requiresGrad_(), TypeError, 'Only floating-point tensors can require gradients, not int32');
    assertJsError(() => { i.requiresGrad = true; }, TypeError, 'Only floating-point tensors can require gradients, not int32');
    assert.equal(i.requiresGrad, false);
  } finally {
    i.dispose();
  }
  // the refused tensors were freed
  assert.equal(torch.memory().liveTensors, before);
});

test('torch.tensor of ragged nested arrays is a TypeError', () => {
  assertJsError(() => torch.tensor([[1, 2], [3]]), TypeError, 'Expected a rectangular nested array: data[1] has length 1 where 2 belongs');
  assertJsError(() => torch.tensor([[1], [2, 3]]), TypeError, 'Expected a rectangular nested array: data[1] has length 2 where 1 belongs');
  assertJsError(() => torch.tensor([[1, 2], 3] as never), TypeError, 'Expected a rectangular nested array: data[1] is 3 of type number where an array of length 2 belongs');
  assertJsError(() => torch.tensor([[[1]], [2]] as never), TypeError, 'Expected a rectangular nested array: data[1][0] is 2 of type number where an array of length 1 belongs');
  assertJsError(() => torch.tensor([[[1, 2]], [[3]]]), TypeError, 'Expected a rectangular nested array: data[1][0] has length 1 where 2 belongs');
});

test('torch.tensor of ragged nested arrays with an array after a number is a TypeError', () => {
  // An array where a number was expected must be refused too, not silently reshaped:
  // [1, [2]] would otherwise become a [2, 1] tensor and [[1, 2], [3, [4]]] a [2, 2, 1] one.
  const where = (path: string) => ({ name: 'TypeError', message: `Expected a rectangular nested array: ${path} is an array where a number belongs` });
  assert.throws(() => torch.tensor([1, [2]] as never), where('data[1]'));
  assert.throws(() => torch.tensor([[1, 2], [3, [4]]] as never), where('data[1][1]'));
  assert.throws(() => torch.tensor([1, [2, 3]] as never), where('data[1]'));
  assert.throws(() => torch.tensor([1, []] as never), where('data[1]'));
});

test('tidy and noGrad refuse async functions', async () => {
  const before = torch.memory().liveTensors;
  let made: torch.Tensor | undefined;
  assert.throws(() => torch.tidy((async () => {
    made = torch.ones([3]);
    await null;
    return made;
  }) as never), { name: 'TypeError', message: 'torch.tidy(fn) needs a synchronous function: tensors would be freed before the promise settles' });
  // the tensor made before the first await belonged to the scope and was freed
  assert.equal(made?.isDisposed, true);
  assert.equal(torch.memory().liveTensors, before);
  assert.throws(() => torch.tidy(3 as never), { name: 'TypeError', message: 'torch.tidy(fn) expects a function' });
  assert.throws(() => torch.noGrad((async () => 1) as never),
    { name: 'TypeError', message: 'torch.noGrad(fn) needs a synchronous function: grad mode cannot follow an await' });
  assert.equal(torch.isGradEnabled(), true);
  assert.throws(() => torch.noGrad(null as never), { name: 'TypeError', message: 'torch.noGrad(fn) expects a function' });
  await new Promise((r) => setImmediate(r));
});

test('after all those errors the process is alive and ops work', () => {
  const r = torch.tidy(() => torch.tensor([[1, 2], [3, 4]]).matmul(torch.tensor([[1], [1]])).toArray());
  assert.deepEqual(r, [[3], [7]]);
  assert.equal(torch.isGradEnabled(), true);
});

test('a child process survives several libtorch errors in a row and exits 0', () => {
  const url = import.meta.resolve('torchnode');
  const script = `
    import * as torch from ${JSON.stringify(url)};
    const F = torch.nn.functional;
    const attempts = [
      () => torch.zeros([2, 3]).matmul(torch.zeros([2, 3])),
      () => torch.zeros([2]).view(3),
      () => torch.cat([]),
      () => torch.zeros([2]).view([3]),
      () => torch.ones([2], { requiresGrad: true }).mul(2).backward(),
      () => F.conv2d(torch.zeros([2, 3]), torch.zeros([1, 1, 3, 3])),
      () => torch.zeros([2, 3]).indexSelect(0, torch.tensor([7], { dtype: 'int64' })),
      () => torch.zeros([2, 3]).add(torch.zeros([4])),
    ];
    let caught = 0;
    for (let round = 0; round < 3; round++) {
      for (const f of attempts) {
        try { f(); } catch (e) {
          if (!(e instanceof torch.TorchError) || /Exception raised from/.test(e.message)) throw e;
          caught++;
        }
      }
    }
    const ok = torch.tensor([1, 2, 3]).mul(2).toArray();
    console.log(JSON.stringify({ caught, ok }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, `child was killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, `child exited ${r.status}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /terminate called|Aborted|Segmentation/);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { caught: 24, ok: [2, 4, 6] });
});

test('reading back a tensor too large for memory is a clear error, not an abort', async () => {
  const { constants } = await import('node:buffer');
  const huge = torch.zeros([1]).expand([2 ** 20, 2 ** 20]); // 4 TiB of float32 as a view
  // where one typed array can hold 2^40 elements (Node 22+), the native allocation fails; before that, the JS length check
  const expected = constants.MAX_LENGTH >= 2 ** 40
    ? (method: string) => ({ name: 'TorchError', message: 'cannot allocate 4398046511104 bytes to read the tensor back', method })
    : (method: string) => ({ name: 'RangeError', message: `Tensor.${method}: the tensor has ${2 ** 40} elements, more than one typed array holds in this Node (${constants.MAX_LENGTH}); read it in pieces with toTypedArrays()` });
  const { name, message } = expected('toTypedArray()');
  assert.throws(() => huge.toTypedArray(), { name, message });
  const later = expected('toTypedArrayAsync()');
  await assert.rejects(huge.toTypedArrayAsync(), { name: later.name, message: later.message });
  huge.dispose();
});
