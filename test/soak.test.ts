// A short soak (scripts/service/soak.mjs, whose full run is 1,000 steps and 100,000 predictions):
// training and predictions interleaved leave the live tensors at their count and the RSS flat.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import { promisify } from 'node:util';

import { fixturesDir } from './helpers.js';

const root = path.resolve(fixturesDir, '..', '..');

// In a child with glibc's pools capped at two (MALLOC_ARENA_MAX=2, as docs/service.md advises for
// services): with one pool per thread, libtorch 1.13's RSS wandered +-5% between rounds of this
// size with no tensor or native leak (382, 395, 415 MiB in one CI run), as large as the bound.
const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
const needsGlibc = glibc ? {} : { skip: 'not glibc: MALLOC_ARENA_MAX, which steadies the RSS this test reads, is glibc\'s' };

test('a short soak: 90 training steps and 4,500 predictions in 4 rounds, live tensors steady, the last round\'s RSS within 5% of the warm-up\'s (rounds 1-2) peak', needsGlibc, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'service', 'soak.mjs'), '--steps', '90', '--predictions', '4500', '--rounds', '4', '--json'],
    { env: { ...process.env, MALLOC_ARENA_MAX: '2' }, maxBuffer: 1 << 20, timeout: 600_000 }).catch((e: { stdout?: string; stderr?: string }) => {
    // exit code 1 is the verdict failing: its figures are in stdout, asserted below
    if (e.stdout?.startsWith('{')) return { stdout: e.stdout };
    throw new Error(`soak.mjs failed: ${e.stderr}`);
  });
  const r = JSON.parse(stdout);
  const series: { steps: number; predicted: number; liveTensors: number; rssMiB: number }[] = r.series;
  assert.deepEqual(series.map((e) => [e.steps, e.predicted]), [[23, 1125], [45, 2250], [68, 3375], [90, 4500]]);
  assert.equal(r.warmUpRounds, 2);
  assert.ok(r.liveTensorsSteady, `live tensors per round: ${series.map((e) => e.liveTensors).join(', ')}`);
  assert.ok(r.rssGrowth < 0.05, `RSS per round: ${series.map((e) => e.rssMiB).join(', ')} MiB`);
  // the verdict is the peak of rounds 1-2 against round 4
  const peak = Math.max(series[0]!.rssMiB, series[1]!.rssMiB);
  assert.equal(r.rssGrowth, (series[3]!.rssMiB - peak) / peak);
});
