// torch.distributed's process groups over libtorch's c10d: rendezvous through a TCPStore or a
// FileStore, Gloo (CPU) or NCCL (CUDA) collectives whose waits run off the JS thread.
import { lookup } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

import { z } from 'zod';

import { TorchError } from '../errors.js';
import { native, type DistInitArgs, type GroupHandle } from '../native.js';
import { parseOptions } from '../options.js';
import { fromHandle, handleOf, type Tensor } from '../tensor.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

/** PyTorch's default collective timeout: 30 minutes. */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

const rankField = z.number().int().min(0).describe('a non-negative integer');
export const initOptions = z.strictObject({
  backend: z.enum(['gloo', 'nccl']).describe("'gloo' or 'nccl'").default('gloo'),
  initMethod: z.string().describe("'env://', 'tcp://host:port' or 'file:///path'").default('env://'),
  rank: rankField.optional(),
  worldSize: z.number().int().positive().describe('a positive integer').optional(),
  timeoutMs: z.number().int().positive().describe('a positive integer (milliseconds)').default(DEFAULT_TIMEOUT_MS),
});
export type InitOptions = z.input<typeof initOptions>;

/** Which backends this build of torchnode can create. @example distributed.availableBackends() // { gloo: true, nccl: false } */
export function availableBackends(): { gloo: boolean; nccl: boolean } {
  return native.distBackends();
}

const UNAVAILABLE: Record<Backend, string> = {
  gloo: 'torchnode was built without Gloo: the libtorch it was built against has no Gloo headers ' +
    '(gloo/*.h; on Debian: apt-get install libgloo-dev, then npm rebuild torchnode)',
  nccl: 'torchnode was built without NCCL: the libtorch it was built against has none ' +
    "(a CUDA build of PyTorch has it); use backend 'gloo'",
};

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`Expected a non-negative integer in the environment variable ${name} but received '${v}'`);
  return n;
}

function parsePort(text: string, where: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new TypeError(`Expected a port in 1-65535 for ${where} but received '${text}'`);
  return port;
}

type Rendezvous = Pick<DistInitArgs, 'store' | 'host' | 'port' | 'path'>;

// The store named by an init method; env:// reads what torchrun (and torchnode launch) set.
function rendezvousOf(initMethod: string): Rendezvous {
  if (initMethod === 'env://') {
    const host = process.env.MASTER_ADDR;
    const port = process.env.MASTER_PORT;
    if (!host || !port) throw new TypeError("initMethod 'env://' needs MASTER_ADDR and MASTER_PORT in the environment (torchnode launch sets them)");
    return { store: 'tcp', host, port: parsePort(port, 'MASTER_PORT'), path: '' };
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):([^/]*)$/.exec(initMethod);
  if (tcp) return { store: 'tcp', host: tcp[1]!.replace(/^\[|\]$/g, ''), port: parsePort(tcp[2]!, `the port of ${initMethod}`), path: '' };
  if (initMethod.startsWith('file:///')) return { store: 'file', host: '', port: 0, path: initMethod.slice('file://'.length) };
  throw new TypeError(`Expected 'env://', 'tcp://host:port' or 'file:///path' for initMethod but received '${initMethod}'`);
}

// The local address that reaches `host`: Gloo must listen where the other ranks can connect.
async function localAddressFor(host: string): Promise<string> {
  const { address, family } = isIP(host) ? { address: host, family: isIP(host) } : await lookup(host);
  if (address.startsWith('127.') || address === '::1') return family === 6 ? '::1' : '127.0.0.1';
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    // a connected UDP socket sends nothing, but the kernel picks the route and source address
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, address, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/**
 * A group of ranks that run collectives together. Collectives are in place (like PyTorch's),
 * return promises, and wait on a libuv worker: the JS thread stays free.
 *
 * @example
 * const group = await distributed.initProcessGroup();
 * await group.allReduce(t, 'sum');
 */
export class ProcessGroup {
  #h: GroupHandle | null;

  /** @internal */
  constructor(h: GroupHandle, readonly backend: Backend, readonly rank: number, readonly worldSize: number, readonly timeoutMs: number) {
    this.#h = h;
  }

  /** @internal */
  get _h(): GroupHandle {
    if (this.#h === null) throw new TorchError('the process group has been destroyed');
    return this.#h;
  }

  /** Reduces `tensor` across ranks in place ('avg' divides the sum by the world size). @example await group.allReduce(t, 'avg') */
  allReduce(tensor: Tensor, op: ReduceOp = 'sum'): Promise<void> {
    const ops: readonly ReduceOp[] = ['sum', 'avg', 'max', 'min', 'product'];
    if (!ops.includes(op)) throw new TypeError(`Expected 'sum', 'avg', 'max', 'min' or 'product' for op but received ${JSON.stringify(op)}`);
    return native.distAllReduce(this._h, handleOf(tensor, 'tensor'), op);
  }

  /** Copies rank `src`'s `tensor` into every rank's `tensor`. @example await group.broadcast(weights, 0) */
  broadcast(tensor: Tensor, src = 0): Promise<void> {
    this.#checkRank(src, 'src');
    return native.distBroadcast(this._h, handleOf(tensor, 'tensor'), src);
  }

  /** Every rank's `tensor`, in rank order (new tensors). @example const [a, b] = await group.allGather(t) */
  async allGather(tensor: Tensor): Promise<Tensor[]> {
    return (await native.distAllGather(this._h, handleOf(tensor, 'tensor'))).map(fromHandle);
  }

  /** Resolves once every rank has reached it. @example await group.barrier() */
  barrier(): Promise<void> {
    return native.distBarrier(this._h);
  }

  /** Frees the group; collectives after it are errors. Safe to call twice. */
  destroy(): void {
    if (this.#h === null) return;
    native.distDestroy(this.#h);
    this.#h = null;
  }

  #checkRank(r: number, what: string): void {
    if (!Number.isSafeInteger(r) || r < 0 || r >= this.worldSize) throw new TypeError(`Expected a rank in 0-${this.worldSize - 1} for ${what} but received ${r}`);
  }
}

/**
 * Joins a new process group. `env://` (the default) reads MASTER_ADDR, MASTER_PORT, RANK and
 * WORLD_SIZE as torchrun and `torchnode launch` set them; `tcp://host:port` serves a TCPStore
 * from rank 0; `file:///path` rendezvous through a file every rank can see. Fails within
 * `timeoutMs` naming the ranks that did not join.
 *
 * @example
 * const group = await distributed.newGroup({ initMethod: 'tcp://127.0.0.1:29500', rank: 0, worldSize: 2 });
 */
export async function newGroup(options?: InitOptions): Promise<ProcessGroup> {
  const o = parseOptions(initOptions, options, 'initProcessGroup()');
  const where = rendezvousOf(o.initMethod);
  const rank = o.rank ?? envInt('RANK');
  const worldSize = o.worldSize ?? envInt('WORLD_SIZE');
  if (rank === undefined || worldSize === undefined) {
    throw new TypeError('initProcessGroup() needs rank and worldSize: pass them, or set RANK and WORLD_SIZE (torchnode launch sets them)');
  }
  if (worldSize < 1) throw new TypeError(`Expected a positive integer for worldSize but received ${worldSize}`);
  if (rank >= worldSize) throw new TypeError(`Expected a rank in 0-${worldSize - 1} for rank but received ${rank}`);
  if (!availableBackends()[o.backend]) throw new TorchError(UNAVAILABLE[o.backend]);
  if (o.backend === 'nccl' && !native.cudaIsAvailable()) {
    throw new TorchError("backend 'nccl' needs a CUDA device, and none is visible; use backend 'gloo'");
  }
  const deviceHost = where.store === 'tcp' ? await localAddressFor(where.host) : '';
  const h = await native.distInit({ backend: o.backend, ...where, deviceHost, rank, worldSize, timeoutMs: o.timeoutMs });
  return new ProcessGroup(h, o.backend, rank, worldSize, o.timeoutMs);
}

let defaultGroup: ProcessGroup | null = null;

/**
 * Joins the default process group (see {@link newGroup} for the init methods).
 * @example
 * await distributed.initProcessGroup({ backend: 'gloo' }); // env:// from torchnode launch
 * await distributed.allReduce(grad, 'avg');
 */
export async function initProcessGroup(options?: InitOptions): Promise<ProcessGroup> {
  if (defaultGroup) throw new TorchError('the default process group is already initialized: call destroyProcessGroup() first');
  const group = await newGroup(options);
  defaultGroup = group;
  return group;
}

/** Leaves and frees the default process group. @example distributed.destroyProcessGroup() */
export function destroyProcessGroup(): void {
  defaultGroup?.destroy();
  defaultGroup = null;
}

/** Whether the default process group is initialized. @example if (!distributed.isInitialized()) await distributed.initProcessGroup() */
export const isInitialized = (): boolean => defaultGroup !== null;

/** The default process group; a TorchError before initProcessGroup(). @example distributed.defaultProcessGroup().worldSize // 2 */
export function defaultProcessGroup(): ProcessGroup {
  if (!defaultGroup) throw new TorchError('the default process group is not initialized: call initProcessGroup() first');
  return defaultGroup;
}

/** This process's rank in the default group. @example distributed.getRank() // 0 */
export const getRank = (): number => defaultProcessGroup().rank;
/** The number of ranks in the default group. @example distributed.getWorldSize() // 2 */
export const getWorldSize = (): number => defaultProcessGroup().worldSize;

/** {@link ProcessGroup.allReduce} on the default group. @example await distributed.allReduce(t, 'sum') */
export const allReduce = (tensor: Tensor, op: ReduceOp = 'sum', group = defaultProcessGroup()): Promise<void> => group.allReduce(tensor, op);
/** {@link ProcessGroup.broadcast} on the default group. @example await distributed.broadcast(t, 0) */
export const broadcast = (tensor: Tensor, src = 0, group = defaultProcessGroup()): Promise<void> => group.broadcast(tensor, src);
/** {@link ProcessGroup.allGather} on the default group. @example const all = await distributed.allGather(t) */
export const allGather = (tensor: Tensor, group = defaultProcessGroup()): Promise<Tensor[]> => group.allGather(tensor);
/** {@link ProcessGroup.barrier} on the default group. @example await distributed.barrier() */
export const barrier = (group = defaultProcessGroup()): Promise<void> => group.barrier();
