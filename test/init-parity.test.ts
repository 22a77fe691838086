// Initialisation under torch.manualSeed(0) equals torchvision's under torch.manual_seed(0), value
// for value (test/fixtures/init-parity.json, scripts/references/make_init_references.py; torch
// 2.14 and 1.13 give the same values): resnet18, resnet50 with zeroInitResidual and the CIFAR
// resnet20. Layers draw in torchvision's build order, then kaiming_normal_ runs over modules().
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';

interface Entry { shape: number[]; sum: number; absSum: number; first: number[]; values?: number[] }
const F = loadFixture<Record<'resnet18' | 'resnet50' | 'resnet20', Record<string, Entry>>>('init-parity.json');

function check(name: keyof typeof F, build: () => torch.nn.Module): void {
  torch.manualSeed(0);
  const model = build();
  const state = model.stateDict();
  const floats = [...state].filter(([, t]) => t.dtype === 'float32');
  assert.deepEqual(floats.map(([k]) => k).sort(), Object.keys(F[name]).sort(), `${name}: state_dict keys`);
  for (const [key, t] of floats) {
    const e = F[name][key]!;
    const what = `${name} ${key}`;
    assert.deepEqual(t.shape, e.shape, `${what}: shape`);
    const values = Array.from(t.flatten().toTypedArray() as Float32Array);
    assert.deepEqual(values.slice(0, 4), e.first, `${what}: first values`);
    if (e.values) assert.deepEqual(values, e.values, `${what}: every value`);
    // float64 sums of equal float32 values; only the order of the additions differs
    const sum = values.reduce((a, v) => a + v, 0);
    const absSum = values.reduce((a, v) => a + Math.abs(v), 0);
    assert.ok(Math.abs(sum - e.sum) <= 1e-9 * Math.max(1, e.absSum), `${what}: sum ${sum} vs ${e.sum}`);
    assert.ok(Math.abs(absSum - e.absSum) <= 1e-9 * Math.max(1, e.absSum), `${what}: |sum| ${absSum} vs ${e.absSum}`);
  }
  model.dispose();
}

test('resnet18() after manualSeed(0) is torchvision.models.resnet18() after manual_seed(0)', () => {
  check('resnet18', () => torch.models.resnet18({ numClasses: 1000, stem: 'imagenet' }));
});

test('resnet50 (10 classes, zeroInitResidual) equals torchvision\'s', () => {
  check('resnet50', () => torch.models.getModel('resnet50', { numClasses: 10, stem: 'imagenet', zeroInitResidual: true }));
});

test('the CIFAR resnet20 equals the same net built from torchvision\'s blocks', () => {
  check('resnet20', () => torch.models.getModel('resnet20'));
});
