#!/usr/bin/env node
// The `torchnode` command.
import { readFileSync } from 'node:fs';
// The whole API, Tensor methods included, before any command runs.
import './index.js';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { packageRoot } from './native.js';
import { doctorReport, formatDoctor } from './doctor.js';
import { DATA_USAGE, dataCommand } from './cli/data.js';
import { EVAL_USAGE, evalCommand } from './cli/eval.js';
import { LAUNCH_USAGE, launchCommand } from './cli/launch.js';
import { UsageError } from './cli/flags.js';
import { PREDICT_USAGE, predictCommand } from './cli/predict.js';
import { TRAIN_USAGE, trainCommand } from './cli/train.js';

const USAGE = `Usage: torchnode <command> [options]

Commands:
  train [options]                   train a ResNet on CIFAR-10 (torchnode train --help)
  eval --checkpoint FILE            test accuracy of a checkpoint
  predict --checkpoint FILE A.png   classes of 32x32 images
  data cifar10                      fetch and verify CIFAR-10 ahead of time
  launch --nproc-per-node N -- CMD  run CMD as N data-parallel ranks (torchnode launch --help)
  doctor [--json]                   what torchnode was built against and what this machine offers`;

const COMMANDS: Record<string, [(args: string[]) => Promise<number>, string]> = {
  train: [trainCommand, TRAIN_USAGE],
  eval: [evalCommand, EVAL_USAGE],
  predict: [predictCommand, PREDICT_USAGE],
  data: [dataCommand, DATA_USAGE],
  launch: [launchCommand, LAUNCH_USAGE],
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  const entry = COMMANDS[command];
  if (entry) {
    // after `--` the flags belong to the launched command
    const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (own.includes('--help') || own.includes('-h')) {
      console.log(entry[1]);
      return 0;
    }
    try {
      return await entry[0](rest);
    } catch (e) {
      if (e instanceof UsageError) {
        console.error(`torchnode ${command}: ${e.message} (see torchnode ${command} --help)`);
        return 2;
      }
      throw e;
    }
  }
  if (command === 'doctor') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } }, strict: true });
    const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    const report = doctorReport(version);
    console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
    return 0;
  }
  console.error(`torchnode: unknown command '${command}'\n${USAGE}`);
  return 1;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e: Error) => {
  console.error(`torchnode: ${e.message}`);
  process.exitCode = 1;
});
