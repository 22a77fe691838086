// torchrun for torchnode: starts this node's ranks with torchrun's variables, prefixes their
// output, forwards signals, and stops every rank when one fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';

import { z } from 'zod';

import { packageRoot } from '../native.js';
import { parseOptions } from '../options.js';

const CLI_COMMANDS = ['train', 'eval', 'predict', 'data', 'doctor'];

export const launchOptions = z.strictObject({
  nprocPerNode: z.number().int().positive().describe('a positive integer'),
  nnodes: z.number().int().positive().describe('a positive integer').default(1),
  nodeRank: z.number().int().min(0).describe('a non-negative integer').default(0),
  masterAddr: z.string().min(1).describe('a host name or address').default('127.0.0.1'),
  masterPort: z.number().int().min(1).max(65535).describe('a port in 1-65535').default(29500),
  /** What each rank runs: a torchnode command (`train ...`), a .js/.mjs script, or an executable. */
  command: z.array(z.string()).min(1).describe('a command (after --)'),
  /** How long the other ranks get to exit after one failed, before SIGKILL. */
  graceMs: z.number().int().min(0).describe('a non-negative integer (milliseconds)').default(10_000),
});
export type LaunchOptions = z.input<typeof launchOptions>;

export interface LaunchIO {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  log?: (line: string) => void;
}

// `train ...` runs this package's CLI; a script runs under this node; anything else as is.
function commandLine(command: string[]): [string, string[]] {
  const [first, ...rest] = command as [string, ...string[]];
  if (CLI_COMMANDS.includes(first)) return [process.execPath, [path.join(packageRoot, 'dist', 'cli.js'), first, ...rest]];
  if (/\.(m|c)?js$/.test(first)) return [process.execPath, [first, ...rest]];
  return [first, rest];
}

// Copies a child's stream line by line, each line prefixed, partial lines held back.
function prefixLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): void {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n|\r/);
    pending = lines.pop()!;
    for (const line of lines) to.write(`${prefix}${line}\n`);
  });
  from.on('end', () => {
    if (pending) to.write(`${prefix}${pending}\n`);
  });
}

/**
 * Starts ranks nodeRank*nprocPerNode ... +nprocPerNode-1 of a world of nnodes*nprocPerNode with
 * MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK set (and
 * OMP_NUM_THREADS to the cores per rank unless set). Resolves with the exit code: 0 when every
 * rank succeeded, else the first failure's.
 *
 * @example
 * const code = await distributed.launch({ nprocPerNode: 2, command: ['train', '--epochs', '1'] });
 */
export async function launch(options: LaunchOptions, io: LaunchIO = {}): Promise<number> {
  const o = parseOptions(launchOptions, options, 'torchnode launch');
  if (o.nodeRank >= o.nnodes) throw new TypeError(`Expected a node rank in 0-${o.nnodes - 1} for nodeRank but received ${o.nodeRank}`);
  if (o.nnodes > 1 && /^(127\.|localhost$|::1$)/.test(o.masterAddr)) {
    throw new TypeError(`Expected node 0's address, reachable from every node, for masterAddr but received ${o.masterAddr} (with ${o.nnodes} nodes)`);
  }
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const log = io.log ?? ((line: string) => stderr.write(`torchnode launch: ${line}\n`));
  const worldSize = o.nnodes * o.nprocPerNode;
  const [file, args] = commandLine(o.command);
  const threads = String(Math.max(1, Math.floor(availableParallelism() / o.nprocPerNode)));
  const children: { rank: number; child: ChildProcess; exit: Promise<number> }[] = [];
  const first = o.nodeRank * o.nprocPerNode;
  log(`node ${o.nodeRank} of ${o.nnodes}: starting ${o.nprocPerNode > 1 ? `ranks ${first}-${first + o.nprocPerNode - 1}` : `rank ${first}`} of ${worldSize} ` +
    `(rendezvous at ${o.masterAddr}:${o.masterPort})`);
  let failed: { rank: number; code: number } | null = null;
  // after a forwarded Ctrl-C/SIGTERM, non-zero exits are the ranks obeying it, not failures
  let signalled = false;
  let firstCode = 0;
  let killTimer: NodeJS.Timeout | null = null;

  const stopOthers = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill(signal);
  };
  const forward = (signal: NodeJS.Signals) => () => {
    signalled = true;
    log(`${signal}: passing it on to every rank`);
    stopOthers(signal);
  };
  const onSigint = forward('SIGINT');
  const onSigterm = forward('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  try {
    for (let local = 0; local < o.nprocPerNode; local++) {
      const rank = o.nodeRank * o.nprocPerNode + local;
      const env = {
        ...process.env, MASTER_ADDR: o.masterAddr, MASTER_PORT: String(o.masterPort), RANK: String(rank), WORLD_SIZE: String(worldSize),
        LOCAL_RANK: String(local), LOCAL_WORLD_SIZE: String(o.nprocPerNode), GROUP_RANK: String(o.nodeRank),
        // ranks sharing a machine share its cores: oversubscribed threads only slow each other down
        OMP_NUM_THREADS: process.env.OMP_NUM_THREADS || threads,
      };
      const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const prefix = `[rank ${rank}] `;
      prefixLines(child.stdout!, stdout, prefix);
      prefixLines(child.stderr!, stderr, prefix);
      const exit = new Promise<number>((resolve) => {
        child.once('error', (e) => {
          log(`rank ${rank} could not start ${file}: ${e.message}`);
          resolve(127);
        });
        child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
      });
      children.push({ rank, child, exit });
      void exit.then((code) => {
        if (code !== 0 && firstCode === 0) firstCode = code;
        if (code === 0 || failed || signalled) return;
        failed = { rank, code };
        const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${code}`;
        log(`rank ${rank} (pid ${child.pid}) ${how}; stopping the other ranks`);
        stopOthers('SIGTERM');
        killTimer = setTimeout(() => stopOthers('SIGKILL'), o.graceMs);
        killTimer.unref();
      });
    }
    await Promise.all(children.map((c) => c.exit));
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (killTimer) clearTimeout(killTimer);
  }
  const f = failed as { rank: number; code: number } | null;
  if (f) log(`failed: rank ${f.rank} exited with code ${f.code}`);
  return f ? f.code : firstCode;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15, SIGABRT: 6 } as Record<string, number>)[signal];
}
