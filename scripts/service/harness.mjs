// What the service scripts share: a checkpoint, the example server as a child process, real
// CIFAR-10 test images with the predictions the model gives in-process, PNG encoding.
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

import { crc32 } from '../../dist/data/crc32.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const torchUrl = new URL(`file://${path.join(root, 'dist', 'index.js')}`).href;

/** The machine in one line, for reports. */
export const machine = () => `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ` +
  `${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;

/** A freshly initialised ResNet-20 checkpoint in `dir` (speed does not depend on the weights). */
export async function makeCheckpoint(dir) {
  const torch = await import(torchUrl);
  const file = path.join(dir, 'resnet20.safetensors');
  torch.manualSeed(0);
  const model = torch.models.resnet20();
  // batch-norm statistics off their defaults, so eval mode is exercised
  torch.tidy(() => torch.noGrad(() => model.forward(torch.randn([16, 3, 32, 32]).mul(2).add(0.5))));
  torch.tidy(() => torch.save(model.stateDict(), file, { metadata: { model: 'resnet20' } }));
  model.dispose();
  return file;
}

/**
 * The first `count` CIFAR-10 test images as planar bytes [3, 32, 32] each, and the class the
 * checkpoint's model predicts for each, computed in this process as the server does.
 */
export async function testImages(checkpoint, count) {
  const torch = await import(torchUrl);
  const { images } = await torch.data.loadCifar10({ split: 'test', limit: count });
  const bytes = images.toTypedArray();
  const model = torch.train.loadModel(checkpoint);
  const x = torch.tidy(() => images.float().div(255).sub(torch.tensor([...torch.data.CIFAR10_MEAN]).view(1, 3, 1, 1))
    .div(torch.tensor([...torch.data.CIFAR10_STD]).view(1, 3, 1, 1)));
  const probs = await model.predict(x);
  const predicted = Array.from(torch.tidy(() => probs.argmax(1)).toTypedArray(), Number).map((k) => torch.data.CIFAR10_CLASSES[k]);
  for (const t of [images, x, probs]) t.dispose();
  model.dispose();
  return Array.from({ length: count }, (_, i) => ({ planar: bytes.slice(i * 3072, (i + 1) * 3072), predicted: predicted[i] }));
}

/** Interleaved R,G,B bytes of a planar image. */
export function interleaved(planar) {
  const out = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = planar[c * 1024 + p];
  return out;
}

/** A PNG (8-bit, filter 0, one IDAT) of row-major pixels with `channels` bytes each (3: RGB, 4: RGBA). */
export function encodePng(pixels, { width = 32, height = 32, channels = 3 } = {}) {
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, channels === 3 ? 2 : 6, 0, 0, 0], 8);
  const stride = width * channels;
  const rows = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array())]);
}

/** Starts dist/examples/serve.js on `checkpoint` (a free port); resolves once it listens. */
export async function startServe(checkpoint, args = []) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'examples', 'serve.js'), '--checkpoint', checkpoint, '--port', '0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      output += c;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { child, port, url: `http://127.0.0.1:${port}`, exited, stop, output: () => output };
}

/** GET /healthz. */
export function healthz(port) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    }).on('error', reject);
  });
}
