// docs/benchmarks.md, written from a run's results by `npm run bench -- --write-docs`.
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
