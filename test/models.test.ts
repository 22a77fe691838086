// models.getModel over every name, and models.readModelInfo/loadModel from a weights file's
// metadata (written with modelMetadata): defaults, overrides and exact errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';

const M = torch.models;

test('getModel builds every ResNet by name, with the classes and stem asked for', () => {
  assert.deepEqual(M.MODEL_NAMES, ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110']);
  const blocks: Record<string, number[]> = { resnet18: [2, 2, 2, 2], resnet34: [3, 4, 6, 3], resnet50: [3, 4, 6, 3], resnet101: [3, 4, 23, 3],
    resnet152: [3, 8, 36, 3], resnet20: [3, 3, 3], resnet32: [5, 5, 5], resnet44: [7, 7, 7], resnet56: [9, 9, 9], resnet110: [18, 18, 18] };
  for (const name of M.MODEL_NAMES) {
    const net = M.getModel(name, { numClasses: 7 }) as torch.models.ResNet;
    assert.deepEqual(net.layerSizes, blocks[name], name);
    assert.equal(net.fc.weight.shape[0], 7, `${name}: classes`);
    assert.equal(net.options.stem, 'cifar', `${name}: the CIFAR stem by default`);
    net.dispose();
  }
  const imagenet = M.getModel('resnet101', { stem: 'imagenet' }) as torch.models.ResNet;
  assert.deepEqual(imagenet.conv1.weight.shape, [64, 3, 7, 7]);
  imagenet.dispose();
  assert.throws(() => M.getModel('resnet20', { stem: 'imagenet' }), { name: 'TypeError', message: "resnet20 is a CIFAR ResNet: it has only the 'cifar' stem, not 'imagenet'" });
  assert.throws(() => M.getModel('resnet7' as never), { name: 'TypeError', message: `Expected one of ${M.MODEL_NAMES.join(', ')} for name but received 'resnet7' of type string` });
  assert.throws(() => M.getModel('resnet18', { classes: 3 } as never), { name: 'TypeError', message: "Unknown option 'classes' for getModel(); its options are numClasses, stem, zeroInitResidual" });
});

test('readModelInfo and loadModel: what the metadata says, CIFAR-10 defaults, overrides and errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-models-'));
  try {
    const net = M.getModel('resnet20', { numClasses: 3 });
    const file = path.join(dir, 'net.safetensors');
    torch.save(net.stateDict(), file, { metadata: M.modelMetadata({ model: 'resnet20', stem: 'cifar', numClasses: 3, inputSize: [24, 40], classes: ['a', 'b', 'c'], mean: [0.1, 0.2, 0.3], std: [1, 2, 3] }) });
    assert.deepEqual(M.readModelInfo(file), { model: 'resnet20', stem: 'cifar', numClasses: 3, inputSize: [24, 40], classes: ['a', 'b', 'c'], mean: [0.1, 0.2, 0.3], std: [1, 2, 3] });
    const loaded = M.loadModel(file);
    assert.deepEqual([...loaded.stateDict()].map(([k, t]) => [k, t.toArray()]), [...net.stateDict()].map(([k, t]) => [k, t.toArray()]));
    assert.equal(torch.train.loadModel, M.loadModel);

    const plain = path.join(dir, 'plain.safetensors');
    const ten = M.getModel('resnet20');
    torch.save(ten.stateDict(), plain, { metadata: { model: 'resnet20' } });
    const info = M.readModelInfo(plain);
    assert.deepEqual([info.inputSize, info.classes, info.mean, info.std], [[32, 32], [...torch.data.CIFAR10_CLASSES], [...torch.data.CIFAR10_MEAN], [...torch.data.CIFAR10_STD]]);
    const bare = path.join(dir, 'bare.safetensors');
    torch.save(ten.stateDict(), bare);
    assert.throws(() => M.readModelInfo(bare), { name: 'CheckpointError', message: `${bare} does not say which model it holds (no 'model' in its metadata): pass the model option` });
    assert.equal(M.readModelInfo(bare, { model: 'resnet20' }).model, 'resnet20');
    assert.throws(() => M.loadModel(bare, { model: 'resnet32' }), (e: Error) => e.name === 'CheckpointError' && e.message.startsWith(`${bare} does not fit resnet32 (cifar stem): `));
    const odd = path.join(dir, 'odd.safetensors');
    torch.save(ten.stateDict(), odd, { metadata: { model: 'resnet20', inputSize: '32' } });
    assert.throws(() => M.readModelInfo(odd), { name: 'CheckpointError', message: `${odd} has the input size '32'; expected HEIGHTxWIDTH` });
    for (const t of [net, loaded, ten]) t.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
