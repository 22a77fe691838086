// torchvision's ResNets and torchnode's, both directions, through safetensors files made by
// scripts/references/resnet_parity.py with the PyTorch and torchvision of the Python whose
// libtorch torchnode runs on (Debian's python3-torch, or the pip PyTorch it was built against).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import * as torch from 'torchnode';
import { relativeError } from './helpers.js';
import { noPython, PYTHON } from './versions.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const script = path.join(root, 'scripts', 'references', 'resnet_parity.py');

const probe = PYTHON ? spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }) : null;
const skip = noPython ?? (probe!.status === 0 ? false
  : `needs ${PYTHON} with torch and torchvision (python3-torchvision, or pip's torchvision): ${(probe!.stderr || String(probe!.error)).trim().split('\n').pop()}`);
if (skip) console.log(`# skipping ResNet parity: ${skip}`);

function python(...args: string[]): void {
  const r = spawnSync(PYTHON!, [script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `resnet_parity.py ${args[0]} failed: ${r.stderr}`);
}

const values = (t: torch.Tensor) => t.toTypedArray() as Float32Array;

function assertSame(actual: torch.Tensor, expected: torch.Tensor, what: string, tolerance = 1e-4): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const err = relativeError(values(actual), values(expected));
  assert.ok(err < tolerance, `${what}: relative error ${err} (tolerance ${tolerance})`);
}

type Arch = 'resnet18' | 'resnet34' | 'resnet50';
const cases: [Arch, 'imagenet' | 'cifar'][] = [['resnet18', 'imagenet'], ['resnet34', 'imagenet'], ['resnet50', 'imagenet'], ['resnet34', 'cifar']];

for (const [arch, stem] of cases) {
  test(`${arch} (${stem} stem): torchvision weights give torchvision's logits, gradients and statistics`, { skip }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), `torchnode-${arch}-`));
    try {
      python('export', '--arch', arch, '--stem', stem, '--out', dir);
      torch.tidy(() => {
        const model = torch.models[arch]({ numClasses: 10, stem });
        const weights = torch.load(path.join(dir, 'weights.safetensors'));
        // the same keys in the same order as torchvision's state_dict
        assert.deepEqual([...model.stateDict().keys()], [...weights.keys()]);
        model.loadStateDict(weights);
        const io = torch.load(path.join(dir, 'io.safetensors'));
        const x = io.get('x')!;

        model.eval();
        assertSame(torch.noGrad(() => model.forward(x)), io.get('eval.logits')!, 'eval logits');

        model.train();
        const logits = model.forward(x);
        const loss = torch.nn.functional.crossEntropy(logits, io.get('labels')!);
        loss.backward();
        assertSame(logits, io.get('train.logits')!, 'train logits');
        assertSame(loss, io.get('train.loss')!, 'train loss');
        for (const [name, p] of model.namedParameters()) assertSame(p.grad!, io.get(`grad.${name}`)!, `grad of ${name}`);
        for (const [name, b] of model.namedBuffers()) {
          if (b.dtype === 'int64') assert.deepEqual(b.toArray(), io.get(`after.${name}`)!.toArray(), name);
          else assertSame(b, io.get(`after.${name}`)!, `${name} after one training step`);
        }
        model.dispose();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${arch} (${stem} stem): torchnode's weights load into torchvision (strict) and give the same logits`, { skip }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), `torchnode-${arch}-`));
    try {
      torch.manualSeed(1);
      torch.tidy(() => {
        const model = torch.models[arch]({ numClasses: 10, stem });
        // move the running statistics off their initial values, as training would
        torch.noGrad(() => model.forward(torch.randn([4, 3, 32, 32]).mul(2).add(0.5)));
        model.eval();
        const size = stem === 'cifar' ? 32 : 64;
        const x = torch.randn([2, 3, size, size]);
        const weights = path.join(dir, 'weights.safetensors');
        const input = path.join(dir, 'input.safetensors');
        torch.save(model.stateDict(), weights);
        torch.save(new Map([['x', x]]), input);
        python('check', '--arch', arch, '--stem', stem, '--weights', weights, '--input', input, '--out', path.join(dir, 'out.safetensors'));
        const expected = torch.load(path.join(dir, 'out.safetensors')).get('eval.logits')!;
        assertSame(torch.noGrad(() => model.forward(x)), expected, 'eval logits in torchvision');
        model.dispose();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
