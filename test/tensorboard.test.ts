// TensorBoard event files from our own writer, read back with the Python tensorboard package.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';
import { crc32c, tfRecord } from '../lib/train/tensorboard.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const python = process.env.PYTHON ?? 'python3';
const hasTensorboard = spawnSync(python, ['-c', 'import tensorboard'], { encoding: 'utf8' }).status === 0;
const why = `${python} has no tensorboard package (pip install tensorboard)`;

/** Every scalar series of an event file, as TensorBoard's EventAccumulator reads them: tag -> [step, value][]. */
function readBack(file: string): Record<string, [number, number][]> {
  const script = 'import json, sys\n' +
    'from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n' +
    'ea = EventAccumulator(sys.argv[1]); ea.Reload()\n' +
    'print(json.dumps({t: [[e.step, e.value] for e in ea.Scalars(t)] for t in ea.Tags()["scalars"]}))\n';
  const r = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, [number, number][]>;
}

test('CRC-32C and TFRecord framing: the standard check value, length and masked CRCs where TFRecord puts them', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const rec = tfRecord(Buffer.from('abc'));
  assert.equal(rec.length, 8 + 4 + 3 + 4);
  assert.equal(rec.readBigUInt64LE(0), 3n);
  assert.equal(rec.subarray(12, 15).toString(), 'abc');
  const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
  assert.equal(rec.readUInt32LE(8), mask(crc32c(rec.subarray(0, 8))));
  assert.equal(rec.readUInt32LE(15), mask(crc32c(Buffer.from('abc'))));
});

test('TensorBoardWriter: scalars read back by tensorboard\'s EventAccumulator, tag by tag and step by step', (t) => {
  if (!hasTensorboard) return t.skip(why);
  const dir = mkdtempSync(path.join(tmpdir(), 'torchnode-tb-'));
  try {
    const tb = new torch.train.TensorBoardWriter(dir);
    tb.scalars(1, { 'train/loss': 2.5, 'train/lr': 0.1 });
    tb.scalars(300, { 'train/loss': 1.25, 'train/lr': 0.05, skipped: NaN });
    tb.scalars(2 ** 40, { 'train/loss': 0.1 });
    tb.close();
    assert.deepEqual(readBack(tb.file), {
      'train/loss': [[1, 2.5], [300, 1.25], [2 ** 40, Math.fround(0.1)]],
      'train/lr': [[1, Math.fround(0.1)], [300, Math.fround(0.05)]],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --tensorboard: per-step and per-epoch scalars under --out, the same figures as metrics.jsonl', (t) => {
  if (!hasTensorboard) return t.skip(why);
  const out = mkdtempSync(path.join(tmpdir(), 'torchnode-tbrun-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'train', '--model', 'resnet20', '--epochs', '2', '--batch-size', '32', '--limit-train', '64',
      '--limit-test', '32', '--device', 'cpu', '--out', out, '--log-every', '1', '--step-metrics', '--tensorboard', '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(out).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(files.length, 1, readdirSync(out).join(', '));
    const scalars = readBack(path.join(out, files[0]!));
    const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const steps = metrics.filter((m) => 'step' in m);
    const epochs = metrics.filter((m) => !('step' in m));
    assert.deepEqual(scalars['train/loss'], steps.map((m) => [m.step, Math.fround(m.loss!)]));
    assert.deepEqual(scalars['train/lr'], steps.map((m) => [m.step, Math.fround(m.lr!)]));
    assert.equal(scalars['train/images_per_second']!.length, 4);
    assert.deepEqual(scalars['epoch/train_loss'], epochs.map((m) => [m.epoch, Math.fround(m.trainLoss!)]));
    assert.deepEqual(scalars['epoch/test_accuracy'], epochs.map((m) => [m.epoch, Math.fround(m.testAccuracy!)]));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
