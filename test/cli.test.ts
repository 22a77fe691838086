// The torchnode command: --version, unknown flags and commands answered with the closest name,
// doctor and import where the addon is missing or broken (a copy of the package without a
// working addon), and a real `torchnode predict` on PNG and JPEG files of other sizes and colour
// types against the same model computed here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import sharp from 'sharp';
import * as torch from 'torchnode';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const run = (args: string[], env: NodeJS.ProcessEnv = process.env, file = cli) =>
  spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env });
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

test('--version prints package.json\'s version', () => {
  const r = run(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${pkg.version}\n`);
});

test('unknown flags name the closest flag, for every command; unknown commands the closest command', () => {
  const cases: [string[], string][] = [
    [['train', '--epoch', '2'], 'torchnode train: unknown option --epoch; did you mean --epochs? (see torchnode train --help)'],
    [['train', '--bacth-size', '2'], 'torchnode train: unknown option --bacth-size; did you mean --batch-size? (see torchnode train --help)'],
    [['eval', '--checkpont', 'x'], 'torchnode eval: unknown option --checkpont; did you mean --checkpoint? (see torchnode eval --help)'],
    [['predict', '--tpo', '2'], 'torchnode predict: unknown option --tpo; did you mean --top? (see torchnode predict --help)'],
    [['data', 'cifar10', '--sorce', 'npm'], 'torchnode data: unknown option --sorce; did you mean --source? (see torchnode data --help)'],
    [['launch', '--nproc-per-nod', '2', '--', 'true'], 'torchnode launch: unknown option --nproc-per-nod; did you mean --nproc-per-node? (see torchnode launch --help)'],
    [['doctor', '--jsn'], 'torchnode doctor: unknown option --jsn; did you mean --json? (see torchnode doctor --help)'],
    [['predict', '--zzzzzz'], 'torchnode predict: unknown option --zzzzzz (see torchnode predict --help)'],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), message);
  }
  const r = run(['predcit']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^torchnode: unknown command 'predcit'; did you mean predict\?\n/);
});

/** A copy of the package (dist, scripts, package.json) whose addon is `addon` (null: none). */
function packageCopy(addon: Buffer | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-noaddon-'));
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const release = path.join(dir, 'build', 'Release');
  fs.mkdirSync(release, { recursive: true });
  fs.copyFileSync(path.join(root, 'build', 'Release', 'torchnode-build.json'), path.join(release, 'torchnode-build.json'));
  if (addon) fs.writeFileSync(path.join(release, 'torchnode.node'), addon);
  return dir;
}

test('doctor runs where the addon does not load, and says why and how to rebuild', () => {
  const record = torch.buildInfo;
  const broken = packageCopy(Buffer.from('not a shared object'));
  const missing = packageCopy(null);
  try {
    const r = run(['doctor'], process.env, path.join(broken, 'dist', 'cli.js'));
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], `torchnode ${pkg.version}`);
    assert.equal(lines[1], `libtorch:  ${record.version} (found via ${record.source}: ${record.detail})`);
    // the loader's own reason: dlopen's "invalid ELF header" or "file too short"
    assert.match(lines[2]!, /^addon: {5}does not load: torchnode's addon failed to load \(built against libtorch .*\): .*torchnode\.node: (invalid ELF header|file too short)/);
    assert.equal(lines[3], 'fix:       rebuild it with `npx torchnode build` (or `npm rebuild torchnode`)');
    const json = JSON.parse(run(['doctor', '--json'], process.env, path.join(broken, 'dist', 'cli.js')).stdout);
    assert.deepEqual(json.built, record);

    const m = run(['doctor'], process.env, path.join(missing, 'dist', 'cli.js'));
    assert.equal(m.status, 1, m.stderr);
    assert.equal(m.stdout.trim().split('\n')[2], `addon:     does not load: the native addon is not built (${path.join(missing, 'build', 'Release', 'torchnode.node')} or its build record is missing)`);
    assert.equal(run(['--version'], process.env, path.join(missing, 'dist', 'cli.js')).stdout, `${pkg.version}\n`);
    // an import without the addon (auto-build off) says what to run, not "module not found"
    const imp = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(path.join(missing, 'dist', 'index.js'))})`],
      { encoding: 'utf8', env: { ...process.env, TORCHNODE_NO_AUTO_BUILD: '1' } });
    assert.notEqual(imp.status, 0);
    assert.match(imp.stderr, /Error: torchnode's native addon is not built \(build\/Release\/torchnode\.node is missing: npm did not run its install script\)\. Build it with `npx torchnode build` \(or `npm rebuild torchnode`\)/);
  } finally {
    fs.rmSync(broken, { recursive: true, force: true });
    fs.rmSync(missing, { recursive: true, force: true });
  }
});

test('predict: PNG and JPEG of any size and colour type, resized to the checkpoint\'s input size and normalised as its data', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-predict-'));
  try {
    torch.manualSeed(3);
    const net = torch.models.getModel('resnet20', { numClasses: 4 });
    const classes = ['ant', 'bee', 'cow', 'dog'];
    const mean = [0.5, 0.4, 0.3];
    const std = [0.2, 0.25, 0.3];
    const checkpoint = path.join(dir, 'net.safetensors');
    torch.save(net.stateDict(), checkpoint, { metadata: torch.models.modelMetadata({ model: 'resnet20', stem: 'cifar', numClasses: 4, inputSize: [20, 24], classes, mean, std }) });
    const px = (n: number, salt: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + salt * 17 + ((i * i) % 7)) % 256));
    const files = [path.join(dir, 'grey.png'), path.join(dir, 'photo.jpg'), path.join(dir, 'exact.png')];
    await sharp(px(40 * 50, 1), { raw: { width: 50, height: 40, channels: 1 } }).toColourspace('b-w').png().toFile(files[0]!);
    await sharp(px(15 * 9 * 4, 2), { raw: { width: 9, height: 15, channels: 4 } }).jpeg().toFile(files[1]!);
    await sharp(px(20 * 24 * 3, 3), { raw: { width: 24, height: 20, channels: 3 } }).png().toFile(files[2]!);

    const r = run(['predict', '--checkpoint', checkpoint, '--device', 'cpu', '--top', '4', '--json', ...files]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { image: string; top: { class: string; probability: number }[] }[];

    const T = torch.data.transforms;
    const x = torch.stack(await Promise.all(files.map((f) => torch.data.loadImage(f, { size: [20, 24] }))));
    // the exact-size PNG is its pixels as they are
    assert.deepEqual(Array.from(x.narrow(0, 2, 1).squeeze(0).permute([1, 2, 0]).contiguous().toTypedArray() as Uint8Array), Array.from(px(20 * 24 * 3, 3)));
    net.eval();
    const probs = torch.noGrad(() => net.forward(T.normalize(T.toTensor(x), { mean, std })).softmax(1)).toArray() as number[][];
    assert.deepEqual(out.map((o) => o.image), files);
    out.forEach((o, i) => {
      const expected = probs[i]!.map((p, k) => ({ class: classes[k]!, p })).sort((a, b) => b.p - a.p);
      assert.deepEqual(o.top.map((t) => t.class), expected.map((e) => e.class), `${o.image}: order`);
      o.top.forEach((t, k) => assert.ok(Math.abs(t.probability - expected[k]!.p) < 1e-5, `${o.image}: ${t.class} ${t.probability} vs ${expected[k]!.p}`));
    });

    const text = run(['predict', '--checkpoint', checkpoint, '--device', 'cpu', '--top', '1', files[2]!]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${files[2]!.replace(/[.]/g, '\\.')}: (ant|bee|cow|dog) \\d+\\.\\d%\\n$`));
    fs.writeFileSync(path.join(dir, 'bad.png'), 'no image');
    const bad = run(['predict', '--checkpoint', checkpoint, '--device', 'cpu', path.join(dir, 'bad.png')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, new RegExp(`^torchnode predict: ${path.join(dir, 'bad.png')} could not be read as an image: `));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
