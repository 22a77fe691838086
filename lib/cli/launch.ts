// `torchnode launch`: torchrun's launcher for torchnode commands and scripts.
import { launch } from '../distributed/launch.js';
import { flagMessage, parseFlags, UsageError, type FlagKind } from './flags.js';

const KINDS: Record<string, FlagKind> = {
  nprocPerNode: 'number', nnodes: 'number', nodeRank: 'number', masterAddr: 'string', masterPort: 'number', graceMs: 'number',
};

export const LAUNCH_USAGE = `Usage: torchnode launch --nproc-per-node N [options] -- COMMAND...

Starts N ranks on this node, each running COMMAND with torchrun's variables (MASTER_ADDR,
MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) and OMP_NUM_THREADS = cores / N.
COMMAND is a torchnode command (train ...), a .js/.mjs script, or an executable. Each line of
output is prefixed with its rank; Ctrl-C and SIGTERM go to every rank; when one rank fails the
others are stopped and the exit code is the failed rank's.

  --nproc-per-node N    ranks on this node (one per GPU, or a share of the cores)
  --nnodes M            nodes in the run (default 1)
  --node-rank R         this node's index, 0..M-1 (default 0); node 0 serves the rendezvous
  --master-addr A       node 0's address, reachable from every node (default 127.0.0.1)
  --master-port P       a free port on node 0 (default 29500)
  --grace-ms MS         after a failure, how long the other ranks get before SIGKILL (default 10000)

Example (2 machines, 2 GPUs each; run on each with its own --node-rank):
  npx torchnode launch --nproc-per-node 2 --nnodes 2 --node-rank 0 --master-addr 10.0.0.1 --master-port 29500 -- train --epochs 30`;

export async function launchCommand(args: string[]): Promise<number> {
  const sep = args.indexOf('--');
  if (sep < 0 || sep === args.length - 1) throw new UsageError('missing the command to run after --');
  const { options, positional } = parseFlags(args.slice(0, sep), KINDS);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}' (the command goes after --)`);
  if (options.nprocPerNode === undefined) throw new UsageError('--nproc-per-node is required');
  try {
    return await launch({ ...options, command: args.slice(sep + 1) } as never);
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(flagMessage(e.message, KINDS));
    throw e;
  }
}
