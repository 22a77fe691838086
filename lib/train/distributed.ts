// A Trainer run under `torchnode launch` (torchrun's variables set): one rank of a data-parallel run.
import type { Device } from '../device.js';
import { tensor } from '../creation.js';
import { tidy } from '../scope.js';
import { DEFAULT_TIMEOUT_MS, newGroup, type ProcessGroup } from '../distributed/process-group.js';

export interface DistributedRun {
  group: ProcessGroup;
  rank: number;
  worldSize: number;
  /** Rank 0: the one rank that prints, writes metrics and checkpoints. */
  lead: boolean;
  device: Device;
}

/** Joins the run's process group when WORLD_SIZE > 1 (env://); null for a single process. */
export async function joinFromEnvironment(device: Device): Promise<DistributedRun | null> {
  const worldSize = Number(process.env.WORLD_SIZE ?? '1');
  if (!(worldSize > 1)) return null;
  // one GPU per rank: 'cuda' means this node's LOCAL_RANK-th
  const local = process.env.LOCAL_RANK ?? '0';
  const dev = (device === 'cuda' ? `cuda:${local}` : device) as Device;
  const timeoutMs = process.env.TORCHNODE_TIMEOUT_MS ? Number(process.env.TORCHNODE_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
  const group = await newGroup({ backend: dev.startsWith('cuda') ? 'nccl' : 'gloo', initMethod: 'env://', timeoutMs });
  return { group, rank: group.rank, worldSize: group.worldSize, lead: group.rank === 0, device: dev };
}

/** Element-wise sums of `values` over all ranks (float64, exact for counts). */
export async function sumAcross(run: DistributedRun, values: number[]): Promise<number[]> {
  const t = tensor(values, { dtype: 'float64', device: run.device });
  try {
    await run.group.allReduce(t, 'sum');
    return tidy(() => t.cpu().toArray() as number[]);
  } finally {
    t.dispose();
  }
}

/** Whether any rank says yes: every rank takes the same decision at the same step. */
export async function anyRank(run: DistributedRun, yes: boolean): Promise<boolean> {
  return (await sumAcross(run, [yes ? 1 : 0]))[0]! > 0;
}
