// README's figures come from committed runs: the list of benchmark targets is what the kept runs say.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';

import { fixturesDir } from './helpers.js';

const root = path.resolve(fixturesDir, '..', '..');

test('README lists every kept benchmark run\'s targets, met and missed, as rendered from docs/benchmarks-*.json', async () => {
  const page = (await import(path.join(root, 'scripts', 'bench', 'docs-page.mjs'))) as {
    keptRuns(docs: string): unknown[]; withReadmeTargets(readme: string, runs: unknown[]): string;
  };
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const runs = page.keptRuns(path.join(root, 'docs'));
  assert.ok(runs.length >= 1, 'no kept runs in docs/');
  assert.equal(readme, page.withReadmeTargets(readme, runs), 'README.md is stale: run npm run bench -- --render-docs');
  assert.match(readme, /- missed: /);
});

const cli = path.join(root, 'dist', 'cli.js');
const readme = () => readFileSync(path.join(root, 'README.md'), 'utf8');

test('README\'s doctor sample has every line doctor prints, and lists every option train --help lists', () => {
  const doctor = spawnSync(process.execPath, [cli, 'doctor'], { encoding: 'utf8' });
  assert.equal(doctor.status, 0, doctor.stderr);
  const text = readme();
  const sample = text.slice(text.indexOf('```\ntorchnode '), text.indexOf('```', text.indexOf('```\ntorchnode ') + 3));
  const label = (l: string) => l.match(/^\s*[\w-]+:?/)?.[0] ?? l;
  for (const line of doctor.stdout.trim().split('\n').filter((l) => !/^\s+cuda:\d/.test(l))) {
    assert.ok(sample.split('\n').some((s) => label(s) === label(line)), `README's doctor sample lacks a '${label(line)}' line`);
  }
  const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  const listed = text.slice(text.indexOf('lists every option'), text.indexOf('Options are validated'));
  const flags = [...new Set(help.stdout.match(/--(\[no-\])?[a-z][a-z-]*/g))];
  assert.ok(flags.length > 20, help.stdout);
  for (const flag of flags) assert.ok(listed.includes(`\`${flag}`), `README's option list lacks ${flag}`);
});
