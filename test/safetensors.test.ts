// torch.save / torch.load in the safetensors format: round trips, interop with PyTorch, exact
// errors for bad files, atomic replacement, and a fuzz run over damaged files.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as torch from 'torchnode';
import { noPython as noPythonBuilt, PYTHON } from './versions.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-safetensors-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => path.join(dir, name);

const live = (): number => torch.memory().liveTensors;

/** The bytes `toTypedArray()` gives: contiguous, row-major, little-endian. */
function bytesOf(t: torch.Tensor): Buffer {
  const a = t.toTypedArray();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Disposes every tensor of a loaded state dict. */
function disposeAll(state: Map<string, torch.Tensor>): void {
  for (const t of state.values()) t.dispose();
}

/** The parsed header of a file and where its data section starts. */
function headerOf(p: string): { header: Record<string, any>; dataStart: number; size: number } {
  const bytes = fs.readFileSync(p);
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), dataStart: 8 + n, size: bytes.length };
}

/** Writes a file by hand: an 8-byte length (`length` overrides the true one), the header, then data. */
function rawFile(name: string, header: unknown, data: Uint8Array | number = 0, length?: bigint): string {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(length ?? BigInt(json.length));
  const p = file(name);
  fs.writeFileSync(p, Buffer.concat([len, json, typeof data === 'number' ? new Uint8Array(data) : data]));
  return p;
}

/** Asserts that load and loadMetadata both reject `p` with exactly `detail`, naming the tensor, and leak nothing. */
function assertBadFile(p: string, detail: string, tensor?: string, { metadataToo = true } = {}): void {
  const before = live();
  const calls: [string, () => unknown][] = [['load', () => torch.load(p)]];
  if (metadataToo) calls.push(['loadMetadata', () => torch.loadMetadata(p)]);
  for (const [what, fn] of calls) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof torch.CheckpointError, `${what}: expected a CheckpointError, got ${String(e)}`);
      assert.ok(e instanceof torch.TorchError);
      assert.equal(e.name, 'CheckpointError');
      assert.equal(e.message, `Cannot load checkpoint '${p}': ${detail}`);
      assert.equal(e.file, p);
      assert.equal(e.tensor, tensor);
      return true;
    }, what);
  }
  assert.equal(live(), before, 'no tensor leaks from a failed load');
}

/** One tensor of each dtype, with edge values (NaN payloads, -0, subnormals, integer extremes). */
function everyDtype(): [string, torch.Tensor][] {
  return [
    ['float32', torch.tensor(Float32Array.of(1.5, -0, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38))],
    ['float64', torch.tensor(Float64Array.of(0.1, -1 / 3, 1e300, 5e-324, NaN, -0), { shape: [2, 3] })],
    ['float16', torch.tensor(Uint16Array.of(0x3c00, 0x8000, 0x7c00, 0x7e01, 0x0001, 0x7bff), { dtype: 'float16', shape: [3, 2] })],
    ['bfloat16', torch.tensor(Uint16Array.of(0x3f80, 0x8000, 0x7f80, 0x7fc1, 0x0001, 0x7f7f), { dtype: 'bfloat16' })],
    ['int64', torch.tensor(BigInt64Array.of(0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)), { shape: [2, 2] })],
    ['int32', torch.tensor(Int32Array.of(2 ** 31 - 1, -(2 ** 31), 0))],
    ['int16', torch.tensor(Int16Array.of(32767, -32768, 5))],
    ['int8', torch.tensor(Int8Array.of(127, -128, 0, 1))],
    ['uint8', torch.tensor(Uint8Array.of(0, 255, 128))],
    ['bool', torch.tensor([[true, false], [false, true]])],
  ];
}

/** Tensors in awkward layouts: scalars, empties, views with strides, offsets and zero strides. */
function awkwardLayouts(): [string, torch.Tensor][] {
  const base = torch.arange(24, { dtype: 'float32' }).reshape([2, 3, 4]);
  return [
    ['scalar.f32', torch.tensor(2.5)],
    ['scalar.i64', torch.tensor(-7n)],
    ['scalar.bool', torch.tensor(true)],
    ['empty.1d', torch.zeros([0])],
    ['empty.3d', torch.zeros([3, 0, 2], { dtype: 'int64' })],
    ['transposed', base.transpose(0, 2)],
    ['permuted', base.permute(1, 2, 0)],
    ['narrowed', base.narrow(2, 1, 2)],
    ['expanded', torch.tensor([1, 2], { dtype: 'int32' }).expand(3, 2)],
    ['channels_last', torch.randn([2, 3, 4, 5]).contiguous({ memoryFormat: 'channelsLast' })],
    ['requires_grad', torch.randn([3], { requiresGrad: true })],
  ];
}

test('every dtype round trips bit for bit, under its safetensors dtype name', () => {
  torch.tidy(() => {
    const cases = everyDtype();
    assert.deepEqual(cases.map(([d]) => d), [...torch.DTYPES], 'one case per dtype');
    const p = file('dtypes.safetensors');
    torch.save(new Map(cases), p);

    const { header, dataStart, size } = headerOf(p);
    assert.equal(dataStart % 8, 0, 'the data section starts at a multiple of 8');
    const codes = { float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL' };
    let offset = 0;
    for (const [name, t] of cases) {
      const nbytes = bytesOf(t).length;
      assert.deepEqual(header[name], { dtype: codes[t.dtype], shape: t.shape, data_offsets: [offset, offset + nbytes] }, name);
      offset += nbytes;
    }
    assert.equal(dataStart + offset, size, 'tensors are back to back with nothing after them');

    const loaded = torch.load(p);
    assert.deepEqual([...loaded.keys()], cases.map(([n]) => n));
    for (const [name, t] of cases) {
      const u = loaded.get(name)!;
      assert.equal(u.dtype, t.dtype, name);
      assert.deepEqual(u.shape, t.shape, name);
      assert.equal(u.device, 'cpu');
      assert.ok(bytesOf(u).equals(bytesOf(t)), `${name}: the bytes match`);
    }
  });
});

test('scalars, empty tensors, non-contiguous and channels-last tensors round trip as contiguous copies', () => {
  torch.tidy(() => {
    const cases = awkwardLayouts();
    assert.ok(!cases.find(([n]) => n === 'transposed')![1].isContiguous());
    assert.ok(!cases.find(([n]) => n === 'channels_last')![1].isContiguous());
    const p = file('layouts.safetensors');
    torch.save(Object.fromEntries(cases), p);
    const loaded = torch.load(p);
    assert.deepEqual([...loaded.keys()], cases.map(([n]) => n));
    for (const [name, t] of cases) {
      const u = loaded.get(name)!;
      assert.deepEqual(u.shape, t.shape, name);
      assert.equal(u.dtype, t.dtype, name);
      assert.ok(u.isContiguous(), `${name} loads contiguous`);
      assert.equal(u.requiresGrad, false, `${name} does not require grad`);
      assert.deepEqual(u.toArray(), t.toArray(), name);
      assert.ok(bytesOf(u).equals(bytesOf(t.contiguous())), name);
    }
    assert.deepEqual(loaded.get('scalar.f32')!.shape, []);
    assert.equal(loaded.get('scalar.bool')!.item(), true);
    assert.equal(loaded.get('empty.3d')!.numel(), 0);
  });
});

test('key order is kept, integer-like names included', () => {
  torch.tidy(() => {
    const names = ['z', '10', 'a', '2', 'layer.0.weight', 'empty1', 'empty0', '1', 'ünï code ✓', ''];
    const state = new Map(names.map((n, i) => [n, n.startsWith('empty') ? torch.zeros([0]) : torch.full([i + 1], i)] as const));
    const p = file('order.safetensors');
    torch.save(state, p);
    const loaded = torch.load(p);
    assert.deepEqual([...loaded.keys()], names);
    for (const [n, t] of state) assert.deepEqual(loaded.get(n)!.toArray(), t.toArray(), n);

    // a plain object lists its keys in JS order (integer-like keys first), and so does the file
    const obj = { b: torch.ones([1]), 3: torch.ones([1]), a: torch.ones([1]) };
    torch.save(obj, p);
    assert.deepEqual([...torch.load(p).keys()], Object.keys(obj));
    assert.deepEqual(Object.keys(obj), ['3', 'b', 'a']);

    torch.save(new Map(), p);
    assert.equal(torch.load(p).size, 0);
    assert.deepEqual(torch.loadMetadata(p), {});
  });
});

test('metadata round trips; a file without it reads as {}', () => {
  torch.tidy(() => {
    const p = file('meta.safetensors');
    const metadata = { format: 'pt', epoch: '12', '10': 'ten', 'ünï code': 'ok ✓ "quoted"\n', empty: '' };
    torch.save({ w: torch.ones([2]) }, p, { metadata });
    assert.deepEqual(torch.loadMetadata(p), metadata);
    assert.deepEqual(headerOf(p).header.__metadata__, metadata);
    assert.deepEqual(Object.keys(torch.loadMetadata(p)), Object.keys(metadata));
    assert.deepEqual([...torch.load(p).keys()], ['w'], 'metadata is not a tensor');

    torch.save({ w: torch.ones([2]) }, p);
    assert.deepEqual(torch.loadMetadata(p), {});
    assert.equal(headerOf(p).header.__metadata__, undefined);
    torch.save({ w: torch.ones([2]) }, p, { metadata: {} });
    assert.deepEqual(torch.loadMetadata(p), {});
  });
});

test("load(path, { device: 'cpu' }) and bad load options", () => {
  torch.tidy(() => {
    const p = file('device.safetensors');
    torch.save({ a: torch.arange(4), b: torch.ones([2, 2], { dtype: 'float16' }) }, p);
    const loaded = torch.load(p, { device: 'cpu' });
    assert.equal(loaded.get('a')!.device, 'cpu');
    assert.equal(loaded.get('b')!.device, 'cpu');
    assert.deepEqual(loaded.get('a')!.toArray(), [0, 1, 2, 3]);
    assert.throws(() => torch.load(p, { device: 'tpu' as never }),
      { name: 'TypeError', message: "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'tpu' of type string" });
    assert.throws(() => torch.load(p, { dtype: 'float32' } as never), { name: 'TypeError', message: "Unknown option 'dtype' for torch.load(); its options are device" });
    assert.throws(() => torch.load(3 as never), { name: 'TypeError', message: 'Expected a non-empty string for path but received 3 of type number' });
    assert.throws(() => torch.loadMetadata('' as never), { name: 'TypeError', message: "Expected a non-empty string for path but received '' of type string" });
    if (!torch.cuda.isAvailable()) {
      assert.throws(() => torch.load(p, { device: 'cuda' }), (e: unknown) => e instanceof torch.TorchError && /^CUDA is not available/.test((e as Error).message));
    }
    assert.throws(() => torch.load(file('missing.safetensors')), { code: 'ENOENT' });
    assert.throws(() => torch.load(dir), (e: unknown) => e instanceof torch.CheckpointError && e.message === `Cannot load checkpoint '${dir}': it is not a regular file`);
  });
});

test('CUDA tensors save from the device and load onto it', { skip: torch.cuda.isAvailable() ? false : 'CUDA is not available' }, () => {
  torch.tidy(() => {
    const p = file('cuda.safetensors');
    const x = torch.randn([3, 4]);
    torch.save({ x: x.to('cuda').transpose(0, 1), h: x.to({ device: 'cuda', dtype: 'float16' }) }, p);
    const cpu = torch.load(p);
    assert.equal(cpu.get('x')!.device, 'cpu');
    assert.deepEqual(cpu.get('x')!.toArray(), x.transpose(0, 1).toArray());
    const gpu = torch.load(p, { device: 'cuda' });
    assert.equal(gpu.get('x')!.device, 'cuda:0');
    assert.equal(gpu.get('h')!.device, 'cuda:0');
    assert.ok(bytesOf(gpu.get('h')!).equals(bytesOf(x.half())));
  });
});

test('save rejects bad arguments with exact TypeErrors', () => {
  torch.tidy(() => {
    const p = file('args.safetensors');
    const w = torch.ones([2]);
    const gone = torch.ones([2]);
    gone.dispose();
    const cases: [() => unknown, string][] = [
      [() => torch.save([w] as never, p), 'Expected a Map or a plain object of Tensors for stateDict but received an array of length 1'],
      [() => torch.save(w as never, p), 'Expected a Map or a plain object of Tensors for stateDict but received a float32 Tensor of shape [2]'],
      [() => torch.save(gone as never, p), 'Expected a Map or a plain object of Tensors for stateDict but received a disposed Tensor'],
      [() => torch.save(null as never, p), 'Expected a Map or a plain object of Tensors for stateDict but received null'],
      [() => torch.save({ w, b: 3 } as never, p), "Expected a Tensor for stateDict['b'] but received 3 of type number"],
      [() => torch.save(new Map([[1, w]]) as never, p), 'Expected string keys in stateDict but received 1 of type number'],
      [() => torch.save({ w: gone }, p), "stateDict['w'] has been disposed: a disposed tensor cannot be saved"],
      [() => torch.save({ __metadata__: w }, p), "'__metadata__' cannot name a tensor: safetensors keeps metadata under that key (pass options.metadata)"],
      [() => torch.save({ w }, p, { metadata: { epoch: 3 } } as never), "Expected a string for metadata['epoch'] but received 3 of type number"],
      [() => torch.save({ w }, p, { metadata: 'x' } as never), "Expected an object of strings for metadata but received 'x' of type string"],
      [() => torch.save({ w }, p, { meta: {} } as never), "Unknown option 'meta' for torch.save(); its options are metadata"],
      [() => torch.save({ w }, undefined as never), 'Expected a non-empty string for path but received undefined'],
    ];
    for (const [fn, message] of cases) assert.throws(fn, { name: 'TypeError', message });
    assert.ok(!fs.existsSync(p), 'nothing was written');
  });
});

/** Names in `dir` other than the files a test expects: leftover temporary files. */
const listing = (): string[] => fs.readdirSync(dir).sort();

test('a failed save leaves the old file byte-identical and no temporary file behind', () => {
  torch.tidy(() => {
    const p = file('atomic.safetensors');
    torch.save({ w: torch.arange(10, { dtype: 'float32' }) }, p, { metadata: { v: '1' } });
    const before = fs.readFileSync(p);
    const names = listing();
    const gone = torch.ones([2]);
    gone.dispose();
    const check = (what: string): void => {
      assert.ok(fs.readFileSync(p).equals(before), `${what}: the old file is untouched`);
      assert.deepEqual(listing(), names, `${what}: no temporary file is left`);
    };

    assert.throws(() => torch.save({ w: torch.zeros([3]), x: 'not a tensor' } as never, p), TypeError);
    check('a value that is not a Tensor');
    assert.throws(() => torch.save({ w: torch.zeros([3]), x: gone }, p), TypeError);
    check('a disposed tensor');

    // failures after the temporary file exists: a write, the final rename
    const patch = <K extends 'writeSync' | 'renameSync' | 'fsyncSync'>(name: K, failOnCall: number): (() => void) => {
      const original = fs[name];
      let calls = 0;
      (fs as any)[name] = (...args: unknown[]) => {
        if (++calls === failOnCall) throw Object.assign(new Error(`${name} failed (simulated)`), { code: 'EIO' });
        return (original as (...a: unknown[]) => unknown)(...args);
      };
      return () => { (fs as any)[name] = original; };
    };
    for (const [name, call] of [['writeSync', 1], ['writeSync', 3], ['fsyncSync', 1], ['renameSync', 1]] as const) {
      const restore = patch(name, call);
      try {
        assert.throws(() => torch.save({ w: torch.zeros([3]), b: torch.ones([4]) }, p), { message: `${name} failed (simulated)` });
      } finally {
        restore();
      }
      check(`${name} failing on call ${call}`);
    }

    // into a directory that does not exist: Node's own error, nothing created
    assert.throws(() => torch.save({ w: torch.zeros([1]) }, path.join(dir, 'no-such-dir', 'x.safetensors')), { code: 'ENOENT' });
    assert.deepEqual(listing(), names);

    torch.save({ w: torch.zeros([3]) }, p);
    assert.deepEqual(listing(), names, 'a successful save leaves only the target');
    assert.deepEqual(torch.load(p).get('w')!.toArray(), [0, 0, 0]);
  });
});

// ---- bad files: one exact message per fault ----

const F32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
const DTYPE_CODES = 'F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL';

test('bad files: too short, header length past the end or over 100 MB', () => {
  let p = file('short.safetensors');
  fs.writeFileSync(p, Buffer.from([1, 2, 3, 4, 5]));
  assertBadFile(p, 'the file is 5 bytes long, shorter than the 8-byte header length a safetensors file starts with');
  fs.writeFileSync(p, Buffer.alloc(0));
  assertBadFile(p, 'the file is 0 bytes long, shorter than the 8-byte header length a safetensors file starts with');

  p = rawFile('past-end.safetensors', '{}', 2, 100n);
  assertBadFile(p, 'the header length is 100 bytes but only 4 bytes follow it');
  p = rawFile('past-end-max.safetensors', '{}', 0, 2n ** 64n - 1n);
  assertBadFile(p, 'the header length is 18446744073709551615 bytes but only 2 bytes follow it');

  // a sparse file just long enough that the 100 MB check, not the length check, is the one that fails
  p = file('huge-header.safetensors');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(100_000_001n);
  fs.writeFileSync(p, len);
  fs.truncateSync(p, 8 + 100_000_001);
  assertBadFile(p, 'the header length is 100000001 bytes, over the 100000000-byte limit');
  fs.rmSync(p);
});

test('bad files: invalid UTF-8 or JSON, or a header that is not an object', () => {
  assertBadFile(rawFile('utf8.safetensors', Buffer.from([0x7b, 0xff, 0x7d])), 'the header is not valid UTF-8');
  for (const text of ['{"a": ', '', '{"a": 1,}', '\ufeff{}', '{"w": {"dtype": "F32", "shape"\n[3]}}']) {
    let syntax = '';
    try {
      JSON.parse(text);
    } catch (e) {
      // V8's message, which may quote the text, with control characters escaped to keep it on one line
      syntax = (e as Error).message.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
    assertBadFile(rawFile('json.safetensors', text), `the header is not valid JSON (${syntax})`);
  }
  const kinds: [string, string][] = [['[1, 2]', 'an array'], ['null', 'null'], ['3', 'a number'], ['"x"', 'a string'], ['true', 'a boolean']];
  for (const [text, kind] of kinds) {
    assertBadFile(rawFile('kind.safetensors', text), `the header must be a JSON object but is ${kind}`);
  }
});

test('bad files: entries that are not {dtype, shape, data_offsets}, unknown dtypes, bad shapes', () => {
  const bad = (entry: unknown, detail: string, data = 8): void =>
    assertBadFile(rawFile('entry.safetensors', { ok: F32([0], 0, 0), w: entry }, data), `tensor 'w': ${detail}`, 'w');
  bad(3, 'expected an object {dtype, shape, data_offsets} but found 3');
  // names from the file keep messages on one line
  assertBadFile(rawFile('entry.safetensors', { 'a\nb\u0000': 3 }), "tensor 'a\\u000ab\\u0000': expected an object {dtype, shape, data_offsets} but found 3", 'a\nb\u0000');
  bad([1], 'expected an object {dtype, shape, data_offsets} but found [1]');
  bad(null, 'expected an object {dtype, shape, data_offsets} but found null');
  bad({ dtype: 'F32', shape: [2] }, 'the entry has no data_offsets');
  bad({ shape: [2], data_offsets: [0, 8] }, 'the entry has no dtype');
  bad({ ...F32([2], 0, 8), offsets: [0, 8] }, "unexpected field 'offsets' (an entry holds dtype, shape and data_offsets)");
  bad({ ...F32([2], 0, 8), dtype: 'F8_E4M3' }, `unknown dtype "F8_E4M3" (torchnode reads ${DTYPE_CODES})`);
  bad({ ...F32([2], 0, 8), dtype: 'f32' }, `unknown dtype "f32" (torchnode reads ${DTYPE_CODES})`);
  bad({ ...F32([2], 0, 8), dtype: 4 }, `unknown dtype 4 (torchnode reads ${DTYPE_CODES})`);
  bad({ ...F32([2], 0, 8), dtype: 'toString' }, `unknown dtype "toString" (torchnode reads ${DTYPE_CODES})`);
  bad(F32([2, -1] as number[], 0, 8), 'shape must be an array of non-negative integers, not [2,-1]');
  bad(F32([1.5] as number[], 0, 8), 'shape must be an array of non-negative integers, not [1.5]');
  bad({ ...F32([], 0, 8), shape: 2 }, 'shape must be an array of non-negative integers, not 2');
  bad({ ...F32([], 0, 8), shape: ['2'] }, 'shape must be an array of non-negative integers, not ["2"]');
  bad(F32([2 ** 53], 0, 8), 'shape must be an array of non-negative integers, not [9007199254740992]');
  bad(F32([2 ** 40, 2 ** 40, 0], 0, 0), 'shape [1099511627776,1099511627776,0] is too large: its sizes multiply past 2^63 bytes', 0);
});

test('bad files: data_offsets out of range or not matching the shape', () => {
  const bad = (offsets: unknown, detail: string, shape = [2]): void =>
    assertBadFile(rawFile('offsets.safetensors', { w: { dtype: 'F32', shape, data_offsets: offsets } }, 8), `tensor 'w': ${detail}`, 'w');
  const range = (o: string): string => `data_offsets must be two integers [begin, end] with 0 <= begin <= end <= 8 (the data size), not ${o}`;
  bad([0, 12], range('[0,12]'));
  bad([8, 0], range('[8,0]'));
  bad([-1, 7], range('[-1,7]'));
  bad([0], range('[0]'));
  bad([0, 4, 8], range('[0,4,8]'));
  bad(['0', '8'], range('["0","8"]'));
  bad([0.5, 8], range('[0.5,8]'));
  bad({ begin: 0, end: 8 }, range('{"begin":0,"end":8}'));
  bad([0, 4], 'shape [2] of F32 needs 8 bytes but data_offsets [0,4] hold 4');
  bad([0, 8], 'shape [3] of F32 needs 12 bytes but data_offsets [0,8] hold 8', [3]);
  bad([0, 8], 'shape [] of F32 needs 4 bytes but data_offsets [0,8] hold 8', []);
  bad([0, 8], 'shape [0,2] of F32 needs 0 bytes but data_offsets [0,8] hold 8', [0, 2]);
  const long = Array.from({ length: 30 }, () => 1);
  bad([0, 8], `shape ${JSON.stringify(long).slice(0, 57)}... of F32 needs 4 bytes but data_offsets [0,8] hold 8`, long);
});

test('bad files: overlapping tensors, holes and trailing bytes', () => {
  let p = rawFile('overlap.safetensors', { a: F32([2], 0, 8), b: F32([2], 4, 12) }, 12);
  assertBadFile(p, "tensors 'a' and 'b' overlap: 'a' covers data bytes [0, 8) and 'b' begins at byte 4", 'b');
  p = rawFile('same.safetensors', { a: F32([2], 0, 8), b: F32([2], 0, 8) }, 8);
  assertBadFile(p, "tensors 'a' and 'b' overlap: 'a' covers data bytes [0, 8) and 'b' begins at byte 0", 'b');
  p = rawFile('inside.safetensors', { a: F32([2], 0, 8), e: F32([0], 4, 4) }, 8);
  assertBadFile(p, "tensors 'a' and 'e' overlap: 'a' covers data bytes [0, 8) and 'e' begins at byte 4", 'e');
  p = rawFile('hole.safetensors', { a: F32([1], 0, 4), b: F32([1], 8, 12) }, 12);
  assertBadFile(p, "data bytes [4, 8) belong to no tensor (a hole before 'b')", 'b');
  p = rawFile('hole-first.safetensors', { a: F32([1], 4, 8) }, 8);
  assertBadFile(p, "data bytes [0, 4) belong to no tensor (a hole before 'a')", 'a');
  p = rawFile('trailing.safetensors', { a: F32([1], 0, 4) }, 9);
  assertBadFile(p, "data bytes [4, 9) belong to no tensor (trailing bytes after 'a', the last tensor)");
  p = rawFile('no-tensors.safetensors', {}, 3);
  assertBadFile(p, 'data bytes [0, 3) belong to no tensor (the header lists no tensors)');
  // the order of the entries in the header does not matter, only that they tile the data
  p = rawFile('reversed.safetensors', { b: F32([1], 4, 8), a: F32([1], 0, 4) }, Buffer.from(Float32Array.of(1, 2).buffer));
  torch.tidy(() => assert.deepEqual([...torch.load(p)].map(([k, t]) => [k, t.item()]), [['a', 1], ['b', 2]]));
});

test('bad files: metadata that is not an object of strings', () => {
  const bad = (metadata: unknown, detail: string): void =>
    assertBadFile(rawFile('metadata.safetensors', { __metadata__: metadata, w: F32([1], 0, 4) }, 4), detail);
  bad({ a: 'x', epoch: 3 }, "__metadata__ must be an object of strings, but its value for 'epoch' is 3");
  bad({ a: null }, "__metadata__ must be an object of strings, but its value for 'a' is null");
  bad({ a: { b: 'c' } }, `__metadata__ must be an object of strings, but its value for 'a' is {"b":"c"}`);
  bad(['a'], '__metadata__ must be an object of strings, not ["a"]');
  bad('x', '__metadata__ must be an object of strings, not "x"');
  bad(null, '__metadata__ must be an object of strings, not null');
});

test('bad data: a bool byte other than 0 or 1 fails after earlier tensors were made, and leaks none of them', () => {
  const data = Buffer.concat([Buffer.from(Float32Array.of(1, 2).buffer), Buffer.from([1, 0, 2])]);
  const p = rawFile('bool.safetensors', { a: F32([2], 0, 8), m: { dtype: 'BOOL', shape: [3], data_offsets: [8, 11] } }, data);
  assertBadFile(p, "tensor 'm': BOOL data must be bytes 0 or 1, but byte 2 of the tensor is 2", 'm', { metadataToo: false });
  assert.deepEqual(torch.loadMetadata(p), {}, 'the header itself is sound');
});

test('a file that shrinks while loading fails cleanly and leaks nothing', () => {
  torch.tidy(() => {
    const p = file('shrinking.safetensors');
    torch.save({ a: torch.ones([4]), b: torch.ones([4]), c: torch.ones([4]) }, p);
    const size = fs.statSync(p).size;
    const dataStart = headerOf(p).dataStart;
    const original = fs.readSync;
    let calls = 0;
    // reads 1-2 are the header; 3 and 4 give tensors a and b; then the file "ends"
    (fs as any).readSync = (...args: Parameters<typeof fs.readSync>) => (++calls === 5 ? 0 : (original as any)(...args));
    try {
      assertBadFile(p, `the file ended at byte ${dataStart + 32} but was ${size} bytes when opened (did it change while loading?)`,
        undefined, { metadataToo: false });
    } finally {
      (fs as any).readSync = original;
    }
    assert.equal(calls, 5);
  });
});

// ---- interop with PyTorch ----

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'references', 'safetensors_interop.py');

function pythonProblem(): string | undefined {
  if (!PYTHON) return noPythonBuilt;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import torch (${r.stderr.trim().split('\n').pop()})`;
  return undefined;
}
const noPython = pythonProblem();
if (noPython) console.log(`# skipping the PyTorch interop tests: ${noPython}`);

interface Described { dtype: string; shape: number[]; values: unknown[]; bits?: number[] }
interface PyReport { metadata: Record<string, string>; order: string[]; tensors: Record<string, Described> }

function runScript(command: 'read' | 'write', p: string): PyReport {
  const r = spawnSync(PYTHON!, [SCRIPT, command, p], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `safetensors_interop.py ${command} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PyReport;
}

const floatValue = (v: number): number | string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v);

/** A tensor in the script's encoding: flat values (exact doubles, int64 as strings) plus 16-bit float bits. */
function describeTensor(t: torch.Tensor): Described {
  return torch.tidy(() => {
    const raw = t.toTypedArray();
    const out: Described = { dtype: t.dtype, shape: t.shape, values: [] };
    switch (t.dtype) {
      case 'float16':
      case 'bfloat16':
        out.values = Array.from(t.to('float32').toTypedArray() as Float32Array, floatValue);
        out.bits = Array.from(raw as Uint16Array);
        break;
      case 'float32':
      case 'float64':
        out.values = Array.from(raw as Float64Array, floatValue);
        break;
      case 'int64':
        out.values = Array.from(raw as BigInt64Array, String);
        break;
      case 'bool':
        out.values = Array.from(raw as Uint8Array, (v) => v !== 0);
        break;
      default:
        out.values = Array.from(raw as Int32Array);
    }
    return out;
  });
}

test('PyTorch reads what torchnode writes', { skip: noPython }, () => {
  torch.tidy(() => {
    const cases = [...everyDtype(), ...awkwardLayouts(), ['10', torch.ones([1])] as [string, torch.Tensor]];
    const metadata = { format: 'pt', 'ünï code': 'ok ✓' };
    const p = file('to-pytorch.safetensors');
    torch.save(new Map(cases), p, { metadata });
    const py = runScript('read', p);
    assert.deepEqual(py.metadata, metadata);
    assert.deepEqual(py.order, cases.map(([n]) => n));
    for (const [name, t] of cases) assert.deepEqual(py.tensors[name], describeTensor(t), name);
  });
});

test('torchnode reads what PyTorch writes', { skip: noPython }, () => {
  torch.tidy(() => {
    const p = file('from-pytorch.safetensors');
    const py = runScript('write', p);
    const loaded = torch.load(p);
    assert.deepEqual([...loaded.keys()], py.order);
    assert.deepEqual(torch.loadMetadata(p), py.metadata);
    for (const name of py.order) assert.deepEqual(describeTensor(loaded.get(name)!), py.tensors[name], name);
    assert.ok(py.order.length >= 10);
  });
});

// ---- fuzzing ----

/** Marsaglia's xorshift32: a small seeded generator, uniform in [0, 1). */
function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

test('1,000 damaged files: each loads or throws a clear TorchError/TypeError, and nothing leaks', (t) => {
  const rand = xorshift32(20240611);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

  const basePath = file('fuzz-base.safetensors');
  torch.tidy(() => torch.save(new Map<string, torch.Tensor>([
    ['a', torch.randn([2, 3])], ['b', torch.tensor([1n, -2n])], ['c', torch.tensor([true, false, true, true])],
    ['d', torch.randn([3]).half()], ['e', torch.zeros([0, 2])], ['f', torch.tensor(1.5, { dtype: 'float64' })],
    ['g', torch.tensor(Uint8Array.of(1, 0, 1, 1, 0))], ['h', torch.randn([2]).bfloat16()], ['i', torch.tensor(Int8Array.of(-1, 2, 3))],
  ]), basePath, { metadata: { epoch: '1', note: 'fuzz' } }));
  const base = fs.readFileSync(basePath);
  const baseHeaderLength = Number(base.readBigUInt64LE(0));
  const baseHeader = base.subarray(8, 8 + baseHeaderLength).toString('utf8');
  const baseData = base.subarray(8 + baseHeaderLength);

  const WEIRD = [-1, 0.5, 2 ** 40, 2 ** 53, 1e300, '1', null, true, [], {}, 'F32'];
  const DTYPES = ['F32', 'F64', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'U16', 'f32', 3, null];
  const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

  function mutateHeader(h: Record<string, any>): void {
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    const name = names.length ? pick(names) : 'x';
    if (!isObj(h[name])) h[name] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    const entry = h[name];
    switch (int(12)) {
      case 0: entry.dtype = pick(DTYPES); break;
      case 1: {
        const shape = Array.isArray(entry.shape) ? entry.shape : [];
        const op = int(4);
        if (op === 0) shape.push(pick([1, 2, 0]));
        else if (op === 1) shape.pop();
        else if (op === 2) shape[int(shape.length + 1)] = pick([...WEIRD, 0, 1, 2, 3, 6]);
        entry.shape = op === 3 ? pick(WEIRD) : shape;
        break;
      }
      case 2:
        if (Array.isArray(entry.data_offsets)) entry.data_offsets[int(2)] += pick([-8, -4, -2, -1, 1, 2, 4, 8]);
        break;
      case 3: entry.data_offsets = pick([[0], [1, 0], [0, 2 ** 53], 'x', null, [0, 0, 0], [-1, 3], [0.5, 4], [0, 2 ** 64]]); break;
      case 4: delete entry[pick(['dtype', 'shape', 'data_offsets'])]; break;
      case 5: entry[pick(['extra', 'DTYPE', ''])] = 1; break;
      case 6: h[name] = pick(WEIRD); break;
      case 7: delete h[name]; break;
      case 8: h[`${name}_copy`] = structuredClone(entry); break;
      case 9: {
        const other = h[pick(names.length ? names : ['x'])];
        if (isObj(other)) [entry.data_offsets, other.data_offsets] = [other.data_offsets, entry.data_offsets];
        break;
      }
      case 10: h.__metadata__ = pick([null, [], 'x', { a: 1 }, { a: 'b', c: {} }, {}, { epoch: '2' }]); break;
      default: entry.dtype = pick(['I32', 'U8', 'BOOL', 'I8', 'F16', 'BF16', 'I16']); break;
    }
  }

  function headerEdit(): Buffer {
    let text: string;
    const roll = int(20);
    if (roll === 0) text = baseHeader.slice(0, int(baseHeader.length)); // cut mid-JSON
    else if (roll === 1) text = pick(['[]', 'null', '0', '"x"', '{"a": ', '\ufeff{}']);
    else {
      const h = JSON.parse(baseHeader) as Record<string, any>;
      for (let k = 1 + int(3); k > 0; k--) mutateHeader(h);
      text = JSON.stringify(h) + ' '.repeat(int(9));
    }
    const json = Buffer.from(text, 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(rand() < 0.85 ? json.length : Math.max(0, json.length + int(33) - 16)));
    let data: Buffer = baseData;
    if (rand() < 0.2) data = Buffer.concat([baseData, Buffer.alloc(1 + int(8), 1)]);
    else if (rand() < 0.2) data = baseData.subarray(0, int(baseData.length + 1));
    return Buffer.concat([len, json, data]);
  }

  function flipBytes(bytes: Buffer): Buffer {
    const out = Buffer.from(bytes);
    for (let k = 1 + int(4); k > 0; k--) {
      const where = int(3); // the header, the data section, or anywhere
      const at = where === 0 ? 8 + int(baseHeaderLength) : where === 1 ? 8 + baseHeaderLength + int(baseData.length) : int(out.length);
      if (at < out.length) out[at] = rand() < 0.5 ? out[at]! ^ (1 << int(8)) : int(256);
    }
    return out;
  }

  function lengthEdit(): Buffer {
    const out = Buffer.from(base);
    const value = pick([0n, 1n, 7n, BigInt(baseHeaderLength - 1 - int(8)), BigInt(baseHeaderLength + 1 + int(8)), BigInt(base.length),
      2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n, BigInt(int(2 ** 31))]);
    out.writeBigUInt64LE(value < 0n ? 0n : value);
    return out;
  }

  const p = file('fuzz.safetensors');
  const baseline = live();
  const outcomes = new Map<string, number>();
  const started = Date.now();
  for (let i = 0; i < 1000; i++) {
    const kind = int(10);
    let bytes: Buffer;
    if (kind < 2) bytes = base.subarray(0, int(base.length));
    else if (kind < 4) bytes = flipBytes(base);
    else if (kind < 5) bytes = lengthEdit();
    else if (kind < 9) bytes = headerEdit();
    else bytes = flipBytes(headerEdit());
    fs.writeFileSync(p, bytes);

    let metadataError: string | undefined;
    try {
      torch.loadMetadata(p);
    } catch (e) {
      metadataError = (e as Error).message;
    }
    let outcome: string;
    try {
      disposeAll(torch.load(p));
      outcome = 'loaded';
      assert.equal(metadataError, undefined, `case ${i}: loadMetadata failed where load succeeded`);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      const ok = e instanceof torch.TorchError || e instanceof TypeError;
      assert.ok(ok, `case ${i}: unexpected ${String(e)}\n${(e as Error).stack}`);
      const message = (e as Error).message;
      assert.ok(message.length > 0 && !message.includes('\n') && !/Exception raised from|frame #/.test(message), `case ${i}: unclear message ${message}`);
      if (e instanceof torch.CheckpointError) {
        assert.ok(message.startsWith(`Cannot load checkpoint '${p}': `), `case ${i}: ${message}`);
        assert.equal(e.file, p);
      }
      if (metadataError !== undefined) assert.equal(message, metadataError, `case ${i}: load and loadMetadata disagree`);
      outcome = (e as Error).name;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    assert.equal(live(), baseline, `case ${i}: ${outcome} left tensors alive`);
  }
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(outcomes))} in ${seconds.toFixed(2)} s`);
  assert.equal(live(), baseline);
  assert.ok((outcomes.get('loaded') ?? 0) > 0, 'some mutations still load');
  assert.ok((outcomes.get('CheckpointError') ?? 0) > 500, 'most mutations are caught');
  assert.ok(seconds < 10, `the fuzz run took ${seconds} s`);
});
