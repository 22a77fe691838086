// data.imageFolder over files written here with sharp: PNG of every colour type (grey, grey+alpha,
// palette, RGB, RGBA, 16-bit) and JPEG, of several sizes, in sorted class folders with a nested
// subfolder and a file that is not an image. PNG pixels exact; JPEG equal to what sharp decodes;
// images of another size equal to data.transforms.resize of their pixels. Exact errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import sharp from 'sharp';
import * as torch from 'torchnode';

const W = 6;
const H = 5;

/** Pixels by a formula: `channels` interleaved samples a pixel. */
function pixels(channels: number, salt: number, n = W * H): Buffer {
  const b = Buffer.alloc(n * channels);
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + salt * 59 + ((i * i) % 13)) % 256;
  return b;
}

/** RGB bytes [H, W, 3] to planes [3, H, W] as numbers. */
const planes = (rgb: Uint8Array, h = H, w = W): number[] => {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) out.push(rgb[p * 3 + c]!);
  return out;
};

interface Written { file: string; label: number; rgb: Uint8Array }

async function writeFolder(root: string): Promise<{ written: Written[]; jpegs: string[]; odd: string }> {
  const raw = (b: Buffer | Uint16Array, channels: 1 | 2 | 3 | 4, w = W, h = H) => sharp(b, { raw: { width: w, height: h, channels } });
  const written: Written[] = [];
  const put = async (cls: string, name: string, img: ReturnType<typeof sharp>, rgb: Uint8Array | null) => {
    const file = path.join(root, cls, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await img.toFile(file);
    if (rgb) written.push({ file, label: -1, rgb });
  };
  const grey = pixels(1, 1);
  const greyRgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => grey[Math.floor(i / 3)]!);
  const ga = pixels(2, 2);
  const gaRgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => ga[Math.floor(i / 3) * 2]!);
  const rgb = pixels(3, 3);
  const rgba = pixels(4, 4);
  const rgbaRgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)]!);
  const u16 = Uint16Array.from(pixels(3, 5), (v, i) => v * 256 + (i % 256));
  const u16Rgb = Uint8Array.from(u16, (v) => v >> 8);
  // few colours: the palette holds them all, so the file is lossless
  const pal = Buffer.from(Array.from({ length: W * H * 3 }, (_, i) => [0, 128, 255][(Math.floor(i / 3) + (i % 3)) % 3]!));
  await put('cat', 'grey.png', raw(grey, 1).toColourspace('b-w').png(), greyRgb);
  await put('cat', 'grey-alpha.png', raw(ga, 2).toColourspace('b-w').png(), gaRgb);
  await put('cat', 'nested/rgb.PNG', raw(rgb, 3).png(), rgb);
  await put('Zebra', 'palette.png', raw(pal, 3).png({ palette: true, colours: 4, dither: 0 }), pal);
  await put('Zebra', 'rgba.png', raw(rgba, 4).png(), rgbaRgb);
  await put('dog', 'deep.png', raw(u16, 3).toColourspace('rgb16').png(), u16Rgb);
  fs.writeFileSync(path.join(root, 'dog', 'notes.txt'), 'not an image');
  const jpegs = [path.join(root, 'dog', 'photo.jpg'), path.join(root, 'Zebra', 'photo.jpeg')];
  await raw(rgb, 3).jpeg({ quality: 90 }).toFile(jpegs[0]!);
  await raw(rgba, 4).jpeg({ quality: 75 }).toFile(jpegs[1]!);
  // another size: resized on load
  const odd = path.join(root, 'dog', 'large.png');
  await raw(pixels(3, 9, 17 * 23), 3, 23, 17).png().toFile(odd);
  return { written, jpegs, odd };
}

test('imageFolder: classes sorted by code point, labels, and pixels of every PNG colour type and JPEG', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-imagefolder-'));
  try {
    const { written, jpegs, odd } = await writeFolder(root);
    const ds = await torch.data.imageFolder(root, { size: [H, W] });
    assert.deepEqual(ds.classes, ['Zebra', 'cat', 'dog']);
    assert.deepEqual(ds.files.map((f) => path.relative(root, f)), [
      'Zebra/palette.png', 'Zebra/photo.jpeg', 'Zebra/rgba.png',
      'cat/grey-alpha.png', 'cat/grey.png', 'cat/nested/rgb.PNG',
      'dog/deep.png', 'dog/large.png', 'dog/photo.jpg']);
    assert.equal(ds.length, 9);
    assert.deepEqual(ds.images.shape, [9, 3, H, W]);
    assert.equal(ds.images.dtype, 'uint8');
    assert.deepEqual((ds.labels.toArray() as number[]).map(Number), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (const w of written) {
      const i = ds.files.indexOf(w.file);
      const { image, label } = ds.get(i);
      assert.equal(label, ds.classes.indexOf(path.relative(root, w.file).split('/')[0]!), `${w.file}: label`);
      assert.deepEqual(Array.from(image.toTypedArray() as Uint8Array), planes(w.rgb), `${w.file}: pixels`);
    }
    for (const file of jpegs) {
      const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual(Array.from(ds.get(ds.files.indexOf(file)).image.toTypedArray() as Uint8Array), planes(data), `${file}: pixels`);
    }
    const big = await sharp(odd).raw().toBuffer();
    const expected = torch.data.transforms.resize(torch.tensor(new Uint8Array(big), { shape: [17, 23, 3] }).permute([2, 0, 1]), [H, W]);
    assert.deepEqual(ds.get(ds.files.indexOf(odd)).image.toArray(), expected.toArray(), 'resized image');

    const stacked = torch.data.toTensorDataset({ length: ds.length, get: (i) => ds.get(i), classes: ds.classes });
    assert.deepEqual(stacked.images.toArray(), ds.images.toArray());
    assert.deepEqual(stacked.labels.toArray(), ds.labels.toArray());
    assert.equal(torch.data.toTensorDataset(ds), ds);
    assert.throws(() => ds.get(9), { name: 'RangeError', message: 'Expected an index from 0 to 8 for index but received 9 of type number' });
    ds.dispose();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('imageFolder: cover fit, and errors naming the folder, the class or the file', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-imagefolder-'));
  try {
    await assert.rejects(torch.data.imageFolder(root, { size: 4 }), { name: 'DatasetError', message: `${root} holds no class folders: put each class's images in a folder named after it` });
    fs.mkdirSync(path.join(root, 'a'));
    fs.mkdirSync(path.join(root, 'b'));
    await sharp(pixels(3, 1, 8 * 12), { raw: { width: 12, height: 8, channels: 3 } }).png().toFile(path.join(root, 'a', 'x.png'));
    await assert.rejects(torch.data.imageFolder(root, { size: 4 }), { name: 'DatasetError', message: `${root}: found no image file for the classes b. Supported extensions are: .png, .jpg, .jpeg` });
    fs.writeFileSync(path.join(root, 'b', 'broken.png'), 'not a png');
    await assert.rejects(torch.data.imageFolder(root, { size: 4 }), (e: Error) => e.name === 'DatasetError' && e.message.startsWith(`${path.join(root, 'b', 'broken.png')} could not be read as an image: `));
    fs.rmSync(path.join(root, 'b'), { recursive: true });
    await assert.rejects(torch.data.imageFolder(root, { size: 0 }), { name: 'TypeError', message: 'Expected a positive integer or [height, width] for size but received 0 of type number' });
    // 8x12 covering 4x4: the shorter edge to 4 (4x6), then the centre 4 columns
    const ds = await torch.data.imageFolder(root, { size: 4, fit: 'cover' });
    const x = torch.tensor(new Uint8Array(pixels(3, 1, 8 * 12)), { shape: [8, 12, 3] }).permute([2, 0, 1]);
    const T = torch.data.transforms;
    assert.deepEqual(ds.get(0).image.toArray(), T.centerCrop(T.resize(x, [4, 6]), 4).toArray());
    ds.dispose();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
