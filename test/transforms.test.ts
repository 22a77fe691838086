// data.transforms against torchvision (test/fixtures/transforms.json, written by
// scripts/references/make_transform_references.py; torch 2.14 and 1.13 give the same values but
// for 4e-7 in plain bilinear): toTensor, normalize, resize (antialiased or not, exact size or
// shorter edge, batches, uint8), crop, centerCrop, hflip; the random transforms against the
// deterministic ones they pick from; exact errors.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as torch from 'torchnode';

import { loadFixture } from './helpers.js';
import { expectRef, fromRef, type Ref } from './reference.js';

const T = torch.data.transforms;
const F = loadFixture('transforms.json');
const input = (name: string): torch.Tensor => fromRef(F.inputs[name] as Ref);

test('toTensor: uint8 CHW, HWC and HW to float [0, 1] CHW', () => {
  const chw = input('chw');
  expectRef(T.toTensor(chw), F.toTensor, 'toTensor(chw)');
  expectRef(T.toTensor(chw.permute([1, 2, 0]).contiguous(), { layout: 'hwc' }), F.toTensor, 'toTensor(hwc)');
  const grey = T.toTensor(chw.narrow(0, 0, 1).squeeze(0));
  assert.deepEqual(grey.shape, [1, 5, 7]);
  assert.throws(() => T.toTensor(chw, { layout: 'nhwc' } as never), { name: 'TypeError', message: "Expected 'chw' or 'hwc' for layout but received 'nhwc' of type string" });
  assert.throws(() => T.toTensor([1, 2] as never), { name: 'TypeError', message: 'Expected a Tensor for image but received an array of length 2' });
});

test('normalize: per channel, as torchvision', () => {
  const x = T.toTensor(input('chw'));
  expectRef(T.normalize(x, { mean: F.normalize.mean, std: F.normalize.std }), F.normalize.out, 'normalize');
  assert.throws(() => T.normalize(x, { mean: [0.5], std: [0.5] }), { name: 'TypeError', message: 'Expected 3 values for mean and std (one per channel) but received 1 and 1' });
  assert.throws(() => T.normalize(input('chw'), { mean: [0, 0, 0], std: [1, 1, 1] }), { name: 'TypeError', message: 'Expected a float32 or float64 or float16 or bfloat16 tensor for x but received uint8' });
});

test('resize: bilinear, antialiased or not, exact size or shorter edge, image or batch', () => {
  for (const c of F.resize as { input: string; size: number | [number, number]; antialias: boolean; out: Ref }[]) {
    const x = T.toTensor(input(c.input));
    expectRef(T.resize(x, c.size, { antialias: c.antialias }), c.out, `resize(${c.input}, ${JSON.stringify(c.size)}, antialias ${c.antialias})`);
  }
  assert.deepEqual(T.resizedSize(17, 23, 10), [10, 13]);
  assert.deepEqual(T.resizedSize(23, 17, 10), [13, 10]);
  assert.throws(() => T.resize(T.toTensor(input('chw')), [0, 3]), { name: 'TypeError', message: 'Expected a positive integer or [height, width] for size but received an array of length 2' });
});

test('resize: uint8 in float then rounded; torchvision\'s native uint8 kernel (PyTorch 2.x CPU) within one level', () => {
  const c = F.resizeUint8[0];
  const out = T.resize(input(c.input), c.size);
  expectRef(out, c.out, 'resize(uint8)');
  const diff = <number>out.int().sub(fromRef(c.torchvision).int()).abs().max().item();
  assert.ok(diff <= 1, `uint8 resize differs from torchvision's by ${diff} levels`);
});

test('crop and centerCrop: windows, zero-padded outside the image, centres rounded as Python rounds', () => {
  const chw = input('chw');
  for (const c of F.crop as { box: [number, number, number, number]; out: Ref }[]) expectRef(T.crop(chw, ...c.box), c.out, `crop(${c.box})`);
  for (const c of F.centerCrop as { size: [number, number]; out: Ref }[]) expectRef(T.centerCrop(chw, c.size), c.out, `centerCrop(${c.size})`);
  expectRef(T.centerCrop(chw, 4), F.centerCrop[1].out, 'centerCrop(4)');
  assert.throws(() => T.crop(chw, 0, 0, 0, 2), { name: 'TypeError', message: 'Expected a positive integer for height but received 0 of type number' });
});

test('hflip and randomHorizontalFlip: mirrored with probability p, drawn from the generator', () => {
  const chw = input('chw');
  expectRef(T.hflip(chw), F.hflip, 'hflip');
  expectRef(T.randomHorizontalFlip(chw, { p: 1 }), F.hflip, 'p = 1');
  expectRef(T.randomHorizontalFlip(chw, { p: 0 }), F.inputs.chw, 'p = 0');
  const draws = [0.3, 0.7];
  const g = () => draws.shift()!;
  expectRef(T.randomHorizontalFlip(chw, { generator: g }), F.hflip, 'draw 0.3 < 0.5');
  expectRef(T.randomHorizontalFlip(chw, { generator: g }), F.inputs.chw, 'draw 0.7 >= 0.5');
  assert.throws(() => T.randomHorizontalFlip(chw, { p: 2 }), { name: 'TypeError', message: 'Expected a probability from 0 to 1 for p but received 2 of type number' });
});

test('randomCrop: a window of the zero-padded image at offsets drawn from the generator', () => {
  const chw = input('chw'); // 5x7
  const seen = new Set<string>();
  const g = T.seededRandom(0);
  const again = T.seededRandom(0);
  for (let i = 0; i < 200; i++) {
    const draws: number[] = [];
    const recording = () => { const v = g(); draws.push(v); return v; };
    const out = T.randomCrop(chw, { size: [5, 7], padding: 2, generator: recording });
    const [top, left] = [Math.floor(draws[0]! * 5) - 2, Math.floor(draws[1]! * 5) - 2];
    seen.add(`${top},${left}`);
    assert.deepEqual(out.toArray(), T.crop(chw, top, left, 5, 7).toArray(), `crop at ${top},${left}`);
    // the same seed, the same crops
    assert.deepEqual(T.randomCrop(chw, { size: [5, 7], padding: 2, generator: again }).toArray(), out.toArray());
  }
  assert.equal(seen.size, 25, 'every offset from -2 to 2 on both axes is drawn');
  assert.throws(() => T.randomCrop(chw, { size: 12, padding: 2 }), { name: 'RangeError', message: 'Expected a crop size within the padded image (9x11) for size but received 12x12' });
  assert.throws(() => T.randomCrop(chw, { size: 3, pading: 1 } as never), { name: 'TypeError', message: "Unknown option 'pading' for randomCrop(); its options are size, padding, generator" });
});
