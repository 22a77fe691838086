// Parity with PyTorch on a small convolutional classifier in float32:
//   conv2d -> batch_norm (training) -> relu -> mean over H,W (or flatten) -> linear -> cross_entropy
// Loss, logits, updated running statistics and the gradients of every parameter and of the input
// must agree with PyTorch's (test/fixtures/parity.json) to a relative error below 1e-5, measured
// as max|a - e| / max|e| per tensor. A second test runs three steps of torch.optim.SGD's update
// (momentum, weight decay) with torch.foreach and compares losses, parameters and statistics.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';
import { fromRef, relErrorTo, type Ref } from './reference.js';

const F = torch.nn.functional;
type T = torch.Tensor;

const PARAMS = ['convWeight', 'convBias', 'bnWeight', 'bnBias', 'fcWeight', 'fcBias'] as const;
type ParamName = (typeof PARAMS)[number];

interface Config {
  stride: number;
  padding: number;
  momentum: number;
  eps: number;
  head: 'mean' | 'flatten';
  labelSmoothing: number;
}
interface ParityCase {
  config: Config;
  sgd: { lr: number; momentum: number; weightDecay: number; steps: number };
  inputs: { x: Ref; target: Ref; params: Record<ParamName, Ref>; runningMean: Ref; runningVar: Ref };
  expected: { logits: Ref; loss: Ref; runningMean: Ref; runningVar: Ref; grads: Record<ParamName | 'x', Ref> };
  trained: { losses: Ref; params: Record<ParamName, Ref>; runningMean: Ref; runningVar: Ref };
}

const fixture = loadFixture<{ torch: string; cases: Record<string, ParityCase> }>('parity.json');
const TOLERANCE = 1e-5;

function model(p: Record<ParamName, T>, x: T, target: T, cfg: Config, runningMean: T, runningVar: T): { logits: T; loss: T } {
  let h = F.conv2d(x, p.convWeight, { bias: p.convBias, stride: cfg.stride, padding: cfg.padding });
  h = F.batchNorm(h, runningMean, runningVar,
    { weight: p.bnWeight, bias: p.bnBias, training: true, momentum: cfg.momentum, eps: cfg.eps });
  h = F.relu(h);
  h = cfg.head === 'mean' ? h.mean([2, 3]) : h.flatten(1);
  const logits = F.linear(h, p.fcWeight, p.fcBias);
  return { logits, loss: F.crossEntropy(logits, target, { labelSmoothing: cfg.labelSmoothing }) };
}

function params(c: ParityCase): Record<ParamName, T> {
  return Object.fromEntries(PARAMS.map((k) => [k, fromRef(c.inputs.params[k], { requiresGrad: true })])) as Record<ParamName, T>;
}

/** Relative errors of the running test, reported as diagnostics. */
let measured: string[] = [];

function expectRelative(actual: T, ref: Ref, what: string): void {
  const err = relErrorTo(actual, ref, what);
  measured.push(`${what} ${err.toExponential(1)}`);
  assert.ok(err < TOLERANCE, `${what}: relative error ${err.toExponential(3)} against PyTorch (limit ${TOLERANCE})`);
}

function maxAbs(ref: Ref): number {
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  return Math.max(...flat(ref.data).map(Math.abs));
}

for (const [name, c] of Object.entries(fixture.cases)) {
  test(`parity ${name}: forward and backward match PyTorch`, (t) => {
    measured = [];
    torch.tidy(() => {
      const p = params(c);
      const x = fromRef(c.inputs.x, { requiresGrad: true });
      const target = fromRef(c.inputs.target);
      const runningMean = fromRef(c.inputs.runningMean);
      const runningVar = fromRef(c.inputs.runningVar);
      const { logits, loss } = model(p, x, target, c.config, runningMean, runningVar);
      loss.backward();

      expectRelative(loss, c.expected.loss, 'loss');
      expectRelative(logits, c.expected.logits, 'logits');
      expectRelative(runningMean, c.expected.runningMean, 'running mean');
      expectRelative(runningVar, c.expected.runningVar, 'running var');
      expectRelative(x.grad!, c.expected.grads.x, 'grad x');
      for (const k of PARAMS) {
        if (k === 'convBias') continue;
        expectRelative(p[k].grad!, c.expected.grads[k], `grad ${k}`);
      }

      // The conv bias feeds batch_norm in training mode, which subtracts each channel's batch
      // mean: its gradient is exactly zero in exact arithmetic, and PyTorch's float32 value is
      // rounding noise (~1e-9). A relative error against noise means nothing, so it is measured
      // against the scale of the layer's gradients, the conv weight's.
      const scale = maxAbs(c.expected.grads.convWeight);
      assert.ok(maxAbs(c.expected.grads.convBias) < 1e-5 * scale, 'PyTorch conv bias gradient is rounding noise');
      const biasGrad = p.convBias.grad!;
      const err = relErrorTo(biasGrad, c.expected.grads.convBias, 'grad convBias') * maxAbs(c.expected.grads.convBias) / scale;
      assert.ok(err < TOLERANCE, `grad convBias: error ${err.toExponential(3)} relative to the conv weight gradient`);
      measured.push(`grad convBias (against the conv weight gradient's scale) ${err.toExponential(1)}`);
    });
    t.diagnostic(`relative errors: ${measured.join(', ')}`);
  });

  test(`parity ${name}: ${c.sgd.steps} SGD steps (momentum, weight decay) match PyTorch`, (t) => {
    measured = [];
    torch.tidy(() => {
      const { lr, momentum, weightDecay, steps } = c.sgd;
      const p = params(c);
      const list = PARAMS.map((k) => p[k]);
      const x = fromRef(c.inputs.x);
      const target = fromRef(c.inputs.target);
      const runningMean = fromRef(c.inputs.runningMean);
      const runningVar = fromRef(c.inputs.runningVar);
      // torch.optim.SGD: d = g + wd * p; buf = d (first step), else momentum * buf + d; p -= lr * buf.
      // A zero buffer gives the first step exactly (0 * momentum + d).
      const buffers = list.map((t) => torch.zerosLike(t));
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) {
        torch.tidy(() => {
          for (const t of list) t.grad = null;
          const { loss } = model(p, x, target, c.config, runningMean, runningVar);
          loss.backward();
          losses.push(loss.item() as number);
          torch.noGrad(() => {
            const grads = list.map((t) => t.grad!);
            torch.foreach.add_(grads, list, { alpha: weightDecay });
            torch.foreach.mul_(buffers, momentum);
            torch.foreach.add_(buffers, grads);
            torch.foreach.add_(list, buffers, { alpha: -lr });
          });
        });
      }
      const expectedLosses = c.trained.losses.data as number[];
      assert.equal(losses.length, expectedLosses.length);
      losses.forEach((l, i) => {
        const err = Math.abs(l - expectedLosses[i]!) / Math.abs(expectedLosses[i]!);
        assert.ok(err < TOLERANCE, `loss at step ${i}: ${l}, PyTorch ${expectedLosses[i]} (relative error ${err.toExponential(3)})`);
      });
      for (const k of PARAMS) expectRelative(p[k], c.trained.params[k], `${k} after ${steps} steps`);
      expectRelative(runningMean, c.trained.runningMean, `running mean after ${steps} steps`);
      expectRelative(runningVar, c.trained.runningVar, `running var after ${steps} steps`);
    });
    t.diagnostic(`relative errors: ${measured.join(', ')}`);
  });
}

test('parity fixture holds the [4, 3, 8, 8] case', () => {
  assert.deepEqual(fixture.cases.mean_head?.inputs.x.shape, [4, 3, 8, 8]);
});
