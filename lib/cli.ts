#!/usr/bin/env node
// The `torchnode` command.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { packageRoot } from './native.js';
import { doctorReport, formatDoctor } from './doctor.js';

const USAGE = `Usage: torchnode <command> [options]

Commands:
  doctor [--json]   what torchnode was built against and what this machine offers`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
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

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`torchnode: ${(e as Error).message}`);
  process.exitCode = 1;
}
