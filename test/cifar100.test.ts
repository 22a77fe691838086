// CIFAR-100 (binary version) on small synthetic files in its format: records parsed with their
// fine and coarse labels, limits, the nested folder, damaged files; the fetch path against a
// local server (archive extracted into the cache, md5 mismatch, HTTP error), since the official
// host is not reachable from the test machines.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

const D = torch.data;

/** `n` records: coarse label, fine label, 3072 pixel bytes made from the record's index. */
function records(n: number, labels = (r: number) => [r % 20, (r * 7) % 100]): Buffer {
  const b = Buffer.alloc(n * 3074);
  for (let r = 0; r < n; r++) {
    const [c, f] = labels(r);
    b[r * 3074] = c!;
    b[r * 3074 + 1] = f!;
    for (let i = 0; i < 3072; i++) b[r * 3074 + 2 + i] = (r * 31 + i * 7) % 256;
  }
  return b;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-cifar100-'));

test('loadCifar100 reads train.bin/test.bin: images, fine or coarse labels, limit, nested folder', async () => {
  const dir = tmp();
  try {
    fs.writeFileSync(path.join(dir, 'test.bin'), records(5));
    const t = await D.loadCifar100({ split: 'test', dir });
    assert.equal(t.source, 'dir');
    assert.deepEqual(t.images.shape, [5, 3, 32, 32]);
    assert.equal(t.images.dtype, 'uint8');
    assert.deepEqual(Array.from(t.images.toTypedArray() as Uint8Array), Array.from({ length: 5 * 3072 }, (_, k) => (Math.floor(k / 3072) * 31 + (k % 3072) * 7) % 256));
    assert.deepEqual((t.labels.toArray() as number[]).map(Number), [0, 7, 14, 21, 28]);
    assert.equal(t.classes, D.CIFAR100_CLASSES);
    assert.equal(D.CIFAR100_CLASSES.length, 100);
    const coarse = await D.loadCifar100({ split: 'test', dir, labels: 'coarse', limit: 3 });
    assert.deepEqual((coarse.labels.toArray() as number[]).map(Number), [0, 1, 2]);
    assert.equal(coarse.classes.length, 20);
    fs.mkdirSync(path.join(dir, 'cifar-100-binary'));
    fs.writeFileSync(path.join(dir, 'cifar-100-binary', 'train.bin'), records(2));
    assert.deepEqual((await D.loadCifar100({ split: 'train', dir })).images.shape, [2, 3, 32, 32]);
    for (const x of [t, coarse]) x.images.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('damaged CIFAR-100 files are DatasetErrors naming the file and the problem', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'test.bin');
    fs.writeFileSync(file, records(2).subarray(0, 5000));
    await assert.rejects(D.loadCifar100({ split: 'test', dir }), { name: 'DatasetError', message: `CIFAR-100 file ${file} is 5000 bytes, not a whole number of 3074-byte records (coarse label, fine label, 3072 pixels)` });
    fs.writeFileSync(file, records(3, (r) => (r === 2 ? [3, 100] : [1, 1])));
    await assert.rejects(D.loadCifar100({ split: 'test', dir }), { name: 'DatasetError', message: `CIFAR-100 file ${file} gives record 2 the labels 3 (coarse, 0 to 19) and 100 (fine, 0 to 99)` });
    await assert.rejects(D.loadCifar100({ split: 'test', dir, limit: 4 }), { name: 'DatasetError', message: `CIFAR-100 file ${file} holds 3 records but 4 were asked for` });
    await assert.rejects(D.loadCifar100({ split: 'train', dir }), { name: 'DatasetError', message: `${dir} has no train.bin (CIFAR-100's binary version)` });
    await assert.rejects(D.loadCifar100({ split: 'test', source: 'dir' }), { name: 'TypeError', message: "loadCifar100(): source 'dir' needs the dir option, the directory holding train.bin and test.bin" });
    await assert.rejects(D.loadCifar100({ split: 'test', source: 'npm' } as never), { name: 'TypeError', message: "Expected 'dir', 'cache' or 'download' for source but received 'npm' of type string" });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the fetch path: an archive extracted into the cache, a wrong md5 and an unreachable archive said plainly', async () => {
  const home = tmp();
  const staging = tmp();
  fs.mkdirSync(path.join(staging, 'cifar-100-binary'));
  fs.writeFileSync(path.join(staging, 'cifar-100-binary', 'train.bin'), records(3));
  fs.writeFileSync(path.join(staging, 'cifar-100-binary', 'test.bin'), records(2));
  execFileSync('tar', ['czf', path.join(staging, 'a.tar.gz'), '-C', staging, 'cifar-100-binary']);
  const archive = fs.readFileSync(path.join(staging, 'a.tar.gz'));
  const md5 = createHash('md5').update(archive).digest('hex');
  const server = http.createServer((req, res) => {
    if (req.url === '/cifar-100-binary.tar.gz') res.end(archive);
    else res.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const saved = { home: process.env.TORCHNODE_HOME, url: process.env.TORCHNODE_CIFAR100_URL };
  try {
    process.env.TORCHNODE_HOME = home;
    const cache = D.cifar100CacheDir();
    assert.equal(cache, path.join(home, 'cifar100', 'cifar-100-binary'));
    await D.fetchCifar100Archive(cache, undefined, { url: `${base}/cifar-100-binary.tar.gz`, md5 });
    assert.deepEqual(fs.readFileSync(path.join(cache, 'train.bin')), records(3));
    assert.deepEqual(fs.readFileSync(path.join(cache, 'test.bin')), records(2));
    // a synthetic archive is not the canonical one
    process.env.TORCHNODE_CIFAR100_URL = `${base}/cifar-100-binary.tar.gz`;
    await assert.rejects(D.loadCifar100({ split: 'test', source: 'download' }), { name: 'DatasetError', message: `the archive from ${base}/cifar-100-binary.tar.gz has md5 ${md5} but the canonical one is ${D.CIFAR100_ARCHIVE.md5}` });
    process.env.TORCHNODE_CIFAR100_URL = `${base}/gone.tar.gz`;
    await assert.rejects(D.loadCifar100({ split: 'test', source: 'download' }), {
      name: 'DatasetError',
      message: `CIFAR-100 could not be fetched: ${base}/gone.tar.gz answered HTTP 404 Not Found. Put train.bin and test.bin from cifar-100-binary.tar.gz in a directory and pass it as dir, or set TORCHNODE_CIFAR100_URL to a mirror of the archive`,
    });
    // the cache holds 2 test records, not a whole split: 'cache' alone refuses it
    await assert.rejects(D.loadCifar100({ split: 'test', source: 'cache' }), { name: 'DatasetError', message: `the cache ${cache} has no whole test.bin: fetch it with source 'download'` });
    assert.equal(fs.readdirSync(path.dirname(cache)).filter((f) => f.endsWith('.tmp')).length, 0, 'no partial download left');
  } finally {
    for (const [k, v] of [['TORCHNODE_HOME', saved.home], ['TORCHNODE_CIFAR100_URL', saved.url]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    server.close();
    for (const d of [home, staging]) fs.rmSync(d, { recursive: true, force: true });
  }
});
