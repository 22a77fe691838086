#!/usr/bin/env node
// The `torchnode` command. The addon is loaded only by the commands that compute: --version,
// --help, doctor and build work where it does not load.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { didYouMean, parseFlags, UsageError, type FlagKind } from './cli/flags.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = (): string => (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

const USAGE = `Usage: torchnode <command> [options]

Commands:
  train [options]                   train a ResNet on CIFAR-10 (torchnode train --help)
  eval --checkpoint FILE            test accuracy of a checkpoint
  predict --checkpoint FILE IMAGE   classes of PNG/JPEG images
  data cifar10                      fetch and verify CIFAR-10 ahead of time
  launch --nproc-per-node N -- CMD  run CMD as N data-parallel ranks (torchnode launch --help)
  doctor [--json]                   what torchnode was built against and what this machine offers
  build                             (re)build the native addon against the libtorch found now
  --version                         torchnode's version`;

const DOCTOR_USAGE = `Usage: torchnode doctor [--json]

What the addon was built against, the libtorch loaded, threads, CUDA, cuDNN and the distributed
backends; when the addon does not load, why, and how to rebuild it. Exit code 1 then.`;

const BUILD_USAGE = `Usage: torchnode build

Builds the native addon (scripts/install.mjs: finds libtorch, compiles with cmake-js), as
npm install does where it runs install scripts.`;

type Command = { run: (args: string[]) => Promise<number>; usage: () => Promise<string> };

// the computing commands: the whole API (Tensor methods included) loads first
const computing = (load: () => Promise<{ run: (args: string[]) => Promise<number>; usage: string }>): Command => ({
  run: async (args) => {
    await import('./index.js');
    return (await load()).run(args);
  },
  usage: async () => {
    await import('./index.js');
    return (await load()).usage;
  },
});

const DOCTOR_KINDS: Record<string, FlagKind> = { json: 'boolean' };

const COMMANDS: Record<string, Command> = {
  train: computing(async () => { const m = await import('./cli/train.js'); return { run: m.trainCommand, usage: m.TRAIN_USAGE }; }),
  eval: computing(async () => { const m = await import('./cli/eval.js'); return { run: m.evalCommand, usage: m.EVAL_USAGE }; }),
  predict: computing(async () => { const m = await import('./cli/predict.js'); return { run: m.predictCommand, usage: m.PREDICT_USAGE }; }),
  data: computing(async () => { const m = await import('./cli/data.js'); return { run: m.dataCommand, usage: m.DATA_USAGE }; }),
  launch: computing(async () => { const m = await import('./cli/launch.js'); return { run: m.launchCommand, usage: m.LAUNCH_USAGE }; }),
  doctor: {
    usage: async () => DOCTOR_USAGE,
    run: async (args) => {
      const { options, positional } = parseFlags(args, DOCTOR_KINDS);
      if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
      const { doctorReport, formatDoctor, isDoctorFailure } = await import('./doctor.js');
      const report = await doctorReport(version(), packageRoot);
      console.log(options.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
      return isDoctorFailure(report) ? 1 : 0;
    },
  },
  build: {
    usage: async () => BUILD_USAGE,
    run: async (args) => {
      parseFlags(args, {});
      const r = spawnSync(process.execPath, [path.join(packageRoot, 'scripts', 'install.mjs')], { cwd: packageRoot, stdio: 'inherit' });
      return r.status ?? 1;
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    console.log(version());
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    console.error(`torchnode: unknown command '${command}'${didYouMean(command, Object.keys(COMMANDS))}\n${USAGE}`);
    return 1;
  }
  // after `--` the flags belong to the launched command
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    console.log(await entry.usage());
    return 0;
  }
  try {
    return await entry.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`torchnode ${command}: ${e.message} (see torchnode ${command} --help)`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e: Error) => {
  console.error(`torchnode: ${e.message}`);
  process.exitCode = 1;
});
