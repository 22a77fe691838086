// What every Node benchmark case shares: flags, the settings both sides use, timing, and the
// lockstep protocol with the runner.
import { availableParallelism } from 'node:os';
import readline from 'node:readline';

import * as torch from 'torchnode';

/** `--key=value` flags over `defaults`; numbers stay numbers. */
export function flags(defaults) {
  const out = { ...defaults };
  for (const arg of process.argv.slice(2)) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (!m) throw new Error(`bad flag ${arg}: expected --key=value`);
    const [, key, raw] = m;
    if (!(key in defaults)) throw new Error(`unknown flag --${key}`);
    out[key] = typeof defaults[key] === 'number' ? Number(raw) : raw;
  }
  return out;
}

/** The settings the PyTorch side uses too: every core, seed 0; the device's flags as the recipe sets them. */
export function setup(device = 'cpu') {
  torch.setNumThreads(availableParallelism());
  torch.manualSeed(0);
  if (device.startsWith('cuda')) {
    torch.backends.cudnn.benchmark = true;
    torch.backends.cudnn.allowTF32 = true;
    torch.backends.cuda.matmul.allowTF32 = true;
  }
  return torch;
}

/** Seconds since `start` (from `now()`), after waiting for the device. */
export const now = () => process.hrtime.bigint();
export function seconds(start, device = 'cpu') {
  if (device.startsWith('cuda')) torch.cuda.synchronize(device);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The one line the runner reads: `{"value": ..., ...details}`. */
export function emit(value, details = {}) {
  process.stdout.write(`${JSON.stringify({ value, threads: torch.getNumThreads(), ...details })}\n`);
}

/**
 * Lockstep with the runner, which alternates this process and its PyTorch twin round by round:
 * says it is ready (set up and warmed up), then runs `round()` for each "round" line on stdin
 * and answers with its value; stops at "end" or the end of input.
 */
export async function serve(round, ready = {}) {
  emit(null, { ready: true, ...ready });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() !== 'round') break;
    emit(await round());
  }
  lines.close();
  process.stdin.destroy();
}
