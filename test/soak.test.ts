// A short soak (scripts/service/soak.mjs, whose full run is 1,000 steps and 100,000 predictions):
// training and predictions interleaved leave the live tensors at their count and the RSS flat.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';

import { fixturesDir } from './helpers.js';

const root = path.resolve(fixturesDir, '..', '..');

test('a short soak: 90 training steps and 4,500 predictions in 3 rounds, live tensors steady, RSS growth under 5% after the first (warm-up) round', async () => {
  const { soak, verdict } = await import(path.join(root, 'scripts', 'service', 'soak.mjs'));
  const series = await soak({ steps: 90, predictions: 4500, rounds: 3 });
  assert.deepEqual(series.map((e: { steps: number; predicted: number }) => [e.steps, e.predicted]), [[30, 1500], [60, 3000], [90, 4500]]);
  const v = verdict(series);
  assert.ok(v.liveTensorsSteady, `live tensors per round: ${series.map((e: { liveTensors: number }) => e.liveTensors).join(', ')}`);
  assert.ok(v.rssGrowth < 0.05, `RSS per round: ${series.map((e: { rssMiB: number }) => e.rssMiB).join(', ')} MiB`);
});
