// docs/benchmarks.md, written from a run's results by `npm run bench -- --write-docs`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { format, header, markdownTable, skipNotes, targets } from './report.mjs';

const METHOD = `Both sides run the same work with the same settings (threads = all cores, float32,
contiguous memory format unless stated, seed 0, warm-up before timing). Timed cases run in
lockstep: a torchnode process and its PyTorch twin are set up and warmed up, then take turns round
by round (A B, B A, A B, ...), so a machine that drifts between speeds slows both alike; \`runs\`
counts the rounds a side (over one or more process pairs). The table gives each side's median
round and the median of the per-round ratios. Start-up runs fresh process pairs. **ratio >= 1
means torchnode is as fast or faster**: PyTorch's time / torchnode's for times (us, s),
torchnode's rate / PyTorch's for img/s. \`other load\` is the share of the CPU that processes
other than the benchmark used while the case ran: above a few percent, expect noise.

- Per-op cases: 100,000 calls a round, each result freed: torchnode calls \`dispose()\` on it
  inside one \`torch.tidy\` per round, Python frees it by reference counting.
- Training steps: ResNet-34 with the CIFAR stem (torchnode's \`resnet34({numClasses: 10, stem:
  'cifar'})\`, the same network written out in PyTorch), one fixed random batch, cross-entropy,
  backward, SGD with Nesterov momentum and weight decay (multi-tensor on both sides).
- Inference against peers (\`infer-*-vs-*\`): one ResNet-34 (CIFAR stem, seed 0, batch-norm statistics
  off their defaults) and one input batch, made by \`scripts/bench/cases/prepare_inference.py\` and
  read by every side, which first checks its logits against PyTorch eager's (the max difference
  is printed). torchnode runs \`model.optimizeForInference({inputShape: [3, 32, 32]})\` (batch norms
  folded, channels-last weights, native replay) through \`forwardAsync\`, or \`predict()\`; the
  peer (in the PyTorch column) is PyTorch eager under no-grad, TorchScript (\`torch.jit.trace\`,
  \`freeze\`, \`optimize_for_inference\`), or onnxruntime-node (CPU execution provider, as many
  intra-op threads as cores, all graph optimisations) on the same network exported to ONNX by
  PyTorch. \`torch.compile\` is not a peer here: it compiles for minutes on these two cores.
- Inference: the same network in eval mode under no-grad. Pipeline: torchnode's \`ImagePipeline\`
  (shuffle, crop from 4-pixel padding, flip, normalise) against the same tensor ops in PyTorch,
  on 50,000 random uint8 images. Start-up: spawn to the first finished training step (batch 8).
- CIFAR-10 epoch (with \`--epoch\`): \`torchnode train\` (the CPU recipe, one epoch) against
  \`scripts/bench/cifar_recipe.py\`, training images per second.

Where a target is missed, [profiles.md](profiles.md) says what was measured and what limits it.`;

/** One kept run as a section: its machine, versions, table, targets and every round. */
function section({ argv, env, python, results, started }) {
  const n = env.node;
  const cuda = argv.includes('--cuda');
  const rounds = results.filter((r) => r.values).map((r) => `| ${r.case.name} | ${r.values.torchnode.map((v) => format(v, r.case.unit)).join(', ')} | ` +
    `${r.values.pytorch.map((v) => format(v, r.case.unit)).join(', ')} |`);
  return `## ${cuda ? 'CUDA' : 'CPU'}, libtorch ${n.libtorch}: ${started.slice(0, 16).replace('T', ' ')} UTC

Taken with \`npm run bench -- ${argv.join(' ')}\`.

- Machine: ${n.cpu}, ${n.cores} cores, ${n.memoryGiB} GiB${n.os ? `, ${n.os}` : ''}
${header(env, python).map((l) => `- ${l.replace(/^(\w+):\s+/, '$1: ')}`).join('\n')}

${markdownTable(results)}

${skipNotes(results).join('\n\n')}

Targets:

${targets(results).map((l) => `    ${l}`).join('\n')}

Every round, in the order taken:

| case | torchnode | PyTorch |
|---|---|---|
${rounds.join('\n')}
`;
}

/** The whole page from the kept runs (CPU first). */
export function docsPage(runs) {
  return `# Benchmarks: torchnode against PyTorch on the same libtorch

Written by \`npm run bench -- --write-docs\` (which keeps each run in \`docs/benchmarks-cpu-<libtorch>.json\`
or \`docs/benchmarks-cuda-<libtorch>.json\`, one per libtorch major.minor) and
\`npm run bench -- --render-docs\`; do not edit by hand.

${METHOD}

${runs.map(section).join('\n')}
Each case is \`scripts/bench/cases/<script>.mjs\` and \`.py\`, listed in \`scripts/bench/suite.mjs\`.
`;
}

/** Where README's generated list of targets sits. */
export const README_MARKERS = ['<!-- bench-targets: written by npm run bench -- --render-docs -->', '<!-- bench-targets end -->'];

/** README's list: for each kept run, the targets met and those missed, with their figures. */
export function readmeTargets(runs) {
  const rest = (line) => line.replace(/^(met|MISSED)\s+/, '');
  return runs.map((run) => {
    const n = run.env.node;
    const where = run.argv.includes('--cuda') ? `${n.gpu}, CUDA ${n.cuda}` : `${n.cpu}, ${n.cores} cores`;
    const lines = targets(run.results);
    const met = lines.filter((l) => l.startsWith('met')).map(rest);
    const missed = lines.filter((l) => l.startsWith('MISSED')).map(rest);
    return `- ${run.argv.includes('--cuda') ? 'CUDA' : 'CPU'}, libtorch ${n.libtorch}, ${run.started.slice(0, 10)} (${where}): ` +
      `${met.length} of ${lines.length} targets met\n` +
      `  - missed: ${missed.length ? missed.join('; ') : 'none'}\n` +
      `  - met: ${met.length ? met.join('; ') : 'none'}`;
  }).join('\n');
}

/** `readme` with the list between the markers replaced; an error if the markers are missing. */
export function withReadmeTargets(readme, runs) {
  const [start, end] = README_MARKERS;
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${start} ... ${end}`);
  return `${readme.slice(0, a + start.length)}\n${readmeTargets(runs)}\n${readme.slice(b)}`;
}

/** Every run kept in `docs` (benchmarks-cpu-*.json, benchmarks-cuda-*.json): CPU before CUDA, newer libtorch first. */
export function keptRuns(docs) {
  const files = readdirSync(docs).filter((f) => /^benchmarks-(cpu|cuda)-[\d.]+\.json$/.test(f));
  const version = (f) => f.match(/-([\d.]+)\.json$/)[1].split('.').map(Number);
  files.sort((a, b) => (a.includes('-cuda-') - b.includes('-cuda-')) || (version(b)[0] - version(a)[0]) || (version(b)[1] - version(a)[1]));
  return files.map((file) => JSON.parse(readFileSync(path.join(docs, file), 'utf8')));
}
