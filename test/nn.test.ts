// nn.Module, the layers, initialisation and the ResNet family's structure.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

const { nn, models } = torch;

test('parameter counts match torchvision and the ResNet paper', () => {
  const count = (m: torch.nn.Module) => {
    const n = m.numParameters();
    m.dispose();
    return n;
  };
  assert.equal(count(models.resnet34()), 21_797_672);
  assert.equal(count(models.resnet34({ numClasses: 10 })), 21_289_802);
  assert.equal(count(models.resnet34({ numClasses: 10, stem: 'cifar' })), 21_282_122);
  assert.equal(count(models.resnet18()), 11_689_512);
  assert.equal(count(models.resnet50()), 25_557_032);
  // the CIFAR family: a 3x3 stem, 16/32/64 channels, 1x1 projection shortcuts
  assert.equal(count(models.resnet20()), 272_474);
  assert.equal(count(models.resnet56()), 855_770);
});

test("names follow PyTorch's state_dict: parameters, then buffers, then children", () => {
  const m = models.resnet20();
  const keys = torch.tidy(() => [...m.stateDict().keys()]);
  assert.deepEqual(keys.slice(0, 7), ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var',
    'bn1.num_batches_tracked', 'layer1.0.conv1.weight']);
  assert.ok(keys.includes('layer2.0.downsample.0.weight'));
  assert.ok(keys.includes('layer2.0.downsample.1.running_var'));
  assert.deepEqual(keys.slice(-2), ['fc.weight', 'fc.bias']);
  assert.equal(keys.length, 128);
  assert.deepEqual([...m.namedChildren()].map(([n]) => n), ['conv1', 'bn1', 'relu', 'layer1', 'layer2', 'layer3', 'avgpool', 'fc']);
  assert.equal([...m.namedParameters()].length, 65);
  assert.ok(m.parameters().every((p) => p.requiresGrad));
  assert.ok(m.buffers().every((b) => !b.requiresGrad));
  m.dispose();
});

test('layer options are strict zod schemas with clear messages', () => {
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: -3, kernelSize: 3 }),
    { name: 'TypeError', message: 'Expected positive integer for outChannels but received -3 of type number' });
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: -1 }),
    { name: 'TypeError', message: 'Expected a non-negative integer or a pair of them for padding but received -1 of type number' });
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, bais: false } as never),
    { name: 'TypeError', message: "Unknown option 'bais' for nn.Conv2d; its options are inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias" });
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, groups: 2 }),
    { name: 'TypeError', message: 'inChannels (3) and outChannels (8) must be divisible by groups (2)' });
  assert.throws(() => new nn.Linear({ inFeatures: 2.5, outFeatures: 1 }),
    { name: 'TypeError', message: 'Expected positive integer for inFeatures but received 2.5 of type number' });
  assert.throws(() => new nn.BatchNorm2d({ numFeatures: 4, momentum: 2 }),
    { name: 'TypeError', message: 'Expected a number in [0, 1] or null (cumulative average) for momentum but received 2 of type number' });
  assert.throws(() => models.resnet34({ stem: 'tiny' as never }),
    { name: 'TypeError', message: "Expected 'imagenet' (7x7/2 conv + max-pool) or 'cifar' (3x3/1 conv) for stem but received 'tiny' of type string" });
  assert.throws(() => new models.BasicBlock(64, 64, { groups: 2 }), { name: 'TypeError', message: 'BasicBlock only supports groups=1 and baseWidth=64' });
});

test('initialisation follows torchvision: Kaiming normal (fan_out) convolutions, BN 1/0, zeroInitResidual', () => {
  torch.manualSeed(0);
  const m = models.resnet34({ numClasses: 10, zeroInitResidual: true });
  torch.tidy(() => {
    const w = m.layers[3]!.at(0)! as InstanceType<typeof models.BasicBlock>;
    // layer4.0.conv2: [512, 512, 3, 3], std sqrt(2 / fan_out) with fan_out = 512 * 9
    const std = w.conv2.weight.pow(2).mean().sqrt().item() as number;
    assert.ok(Math.abs(std - Math.sqrt(2 / (512 * 9))) / Math.sqrt(2 / (512 * 9)) < 0.01, `std ${std}`);
    assert.ok(Math.abs(w.conv2.weight.mean().item() as number) < 1e-3);
    assert.deepEqual(new Set(w.bn1.weight!.toArray() as number[]), new Set([1]));
    assert.deepEqual(new Set(w.bn1.bias!.toArray() as number[]), new Set([0]));
    // zeroInitResidual: the last BN of every residual branch starts at 0
    assert.deepEqual(new Set(w.bn2.weight!.toArray() as number[]), new Set([0]));
    // Linear keeps PyTorch's default: uniform within 1/sqrt(fan_in)
    const bound = 1 / Math.sqrt(512);
    const fc = m.fc.weight.toTypedArray() as Float32Array;
    assert.ok(fc.every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...fc) > bound * 0.95);
  });
  m.dispose();
});

test('BatchNorm2d: training updates running statistics and the batch count; eval uses them', () => {
  torch.tidy(() => {
    const bn = new nn.BatchNorm2d({ numFeatures: 2 });
    const x = torch.tensor([[[[1, 3]], [[2, 6]]], [[[5, 7]], [[4, 8]]]]); // [2, 2, 1, 2]
    bn.forward(x);
    // channel 0: mean 4, unbiased var 20/3; running = 0.9 * initial + 0.1 * batch
    assert.ok(Math.abs((bn.runningMean!.toArray() as number[])[0]! - 0.4) < 1e-6);
    assert.ok(Math.abs((bn.runningVar!.toArray() as number[])[0]! - (0.9 + 0.1 * 20 / 3)) < 1e-6);
    assert.equal(bn.numBatchesTracked!.item(), 1);
    bn.eval();
    const y = bn.forward(x).toArray() as number[][][][];
    // eval: (x - running_mean) / sqrt(running_var + eps)
    const expected = (1 - 0.4) / Math.sqrt(0.9 + 0.1 * 20 / 3 + 1e-5);
    assert.ok(Math.abs(y[0]![0]![0]![0]! - expected) < 1e-6);
    assert.equal(bn.numBatchesTracked!.item(), 1);
    // momentum null: a cumulative average
    const cumulative = new nn.BatchNorm2d({ numFeatures: 2, momentum: null });
    cumulative.forward(x);
    cumulative.forward(x.mul(0));
    assert.ok(Math.abs((cumulative.runningMean!.toArray() as number[])[0]! - 2) < 1e-6);
  });
});

test('train()/eval() reach every module; zeroGrad clears gradients', () => {
  torch.tidy(() => {
    const m = new nn.Sequential(new nn.Linear({ inFeatures: 3, outFeatures: 2 }), new nn.ReLU(), new nn.Dropout({ p: 0.5 }));
    assert.ok(m.modules().every((x) => x.training));
    m.eval();
    assert.ok(m.modules().every((x) => !x.training));
    assert.deepEqual([...m.namedChildren()].map(([n]) => n), ['0', '1', '2']);
    const x = torch.ones([4, 3]);
    // eval-mode dropout is the identity
    const a = m.forward(x).toArray();
    assert.deepEqual(m.forward(x).toArray(), a);
    m.train();
    m.forward(x).sum().backward();
    const lin = m.at(0) as InstanceType<typeof nn.Linear>;
    assert.ok(lin.weight.grad !== undefined);
    m.zeroGrad();
    assert.equal(lin.weight.grad, undefined);
  });
});

test('Module.to() converts in place: the parameter objects stay, so optimizers keep them', () => {
  torch.tidy(() => {
    const m = models.resnet20();
    const before = m.parameters();
    const w = m.conv1.weight;
    m.to('float64');
    assert.equal(m.conv1.weight, w);
    assert.deepEqual(m.parameters(), before);
    assert.equal(w.dtype, 'float64');
    assert.equal(w.requiresGrad, true);
    assert.equal(m.bn1.numBatchesTracked!.dtype, 'int64'); // integers are not cast
    m.to({ dtype: 'float32', memoryFormat: 'channelsLast' });
    assert.ok(w.isContiguous({ memoryFormat: 'channelsLast' }));
    const y = m.forward(torch.randn([2, 3, 32, 32]));
    assert.deepEqual(y.shape, [2, 10]);
    assert.throws(() => m.to({ device: 'tpu' as never }), { name: 'TypeError', message: "Expected 'cpu', 'cuda' or 'cuda:N' for device but received 'tpu' of type string" });
    m.dispose();
  });
});

test('loadStateDict: strict lists missing and unexpected keys and size mismatches by name; nothing changes on failure', () => {
  torch.tidy(() => {
    const m = new nn.Sequential(new nn.Linear({ inFeatures: 3, outFeatures: 2 }), new nn.BatchNorm2d({ numFeatures: 2 }));
    // stateDict() shares storage with the parameters, as in PyTorch: clone to keep a snapshot
    const sd = new Map([...m.stateDict()].map(([k, v]) => [k, v.clone()]));
    const w0 = m.parameters()[0]!.toArray();
    const bad = new Map(sd);
    bad.delete('1.running_var');
    bad.set('2.weight', torch.ones([1]));
    bad.set('0.weight', torch.zeros([3, 2]));
    assert.throws(() => m.loadStateDict(bad), {
      name: 'TorchError',
      message: 'Error loading state dict into Sequential: size mismatch for 0.weight: checkpoint [3, 2], model [2, 3]; ' +
        'missing keys: 1.running_var; unexpected keys: 2.weight',
    });
    assert.deepEqual(m.parameters()[0]!.toArray(), w0);
    // not strict: the keys that match are loaded and the others reported
    const partial = new Map(sd);
    partial.delete('1.running_var');
    partial.set('0.weight', torch.full([2, 3], 0.5));
    partial.set('extra', torch.ones([1]));
    assert.deepEqual(m.loadStateDict(partial, { strict: false }), { missingKeys: ['1.running_var'], unexpectedKeys: ['extra'] });
    assert.deepEqual(m.parameters()[0]!.toArray(), [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
    // a plain object works too
    m.loadStateDict(Object.fromEntries(sd));
    assert.deepEqual(m.parameters()[0]!.toArray(), w0);
  });
});

test('stateDict() tensors share storage with the parameters', () => {
  torch.tidy(() => {
    const lin = new nn.Linear({ inFeatures: 2, outFeatures: 1 });
    const w = lin.stateDict().get('weight')!;
    assert.equal(w.requiresGrad, false);
    torch.noGrad(() => lin.weight.fill_(3));
    assert.deepEqual(w.toArray(), [[3, 3]]);
  });
});

test('registration refuses bad names and duplicates', () => {
  class Net extends nn.Module {
    forward(x: torch.Tensor) {
      return x;
    }
  }
  const n = new Net();
  n.registerParameter('w', torch.zeros([2]));
  assert.throws(() => n.registerBuffer('w', torch.zeros([2])), { name: 'TypeError', message: "'w' is already registered on this module" });
  assert.throws(() => n.registerModule('a.b', new Net()), { name: 'TypeError', message: "Expected an identifier for the module name but received 'a.b' of type string" });
  assert.throws(() => n.registerParameter('p', 3 as never), { name: 'TypeError', message: "Expected a Tensor or null for parameter 'p' but received 3 of type number" });
  n.dispose();
});

test('a forward pass frees its intermediate tensors: only autograd keeps what backward needs', () => {
  const m = models.resnet20();
  const x = torch.randn([2, 3, 32, 32]);
  const before = torch.memory().liveTensors;
  const y = torch.noGrad(() => m.eval().forward(x));
  assert.equal(torch.memory().liveTensors, before + 1);
  y.dispose();
  m.dispose();
  x.dispose();
});
