// Where torchnode keeps downloaded data: TORCHNODE_HOME, else the XDG cache directory.
import os from 'node:os';
import path from 'node:path';

/**
 * torchnode's cache directory: `$TORCHNODE_HOME` when set, else `$XDG_CACHE_HOME/torchnode`,
 * else `~/.cache/torchnode`. Read on every call so that a changed environment takes effect.
 *
 * @example
 * console.log(torchnodeHome()); // /home/me/.cache/torchnode
 */
export function torchnodeHome(): string {
  const own = process.env.TORCHNODE_HOME;
  if (own) return path.resolve(own);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and to be ignored.
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'torchnode');
}

/** The cache folder of the CIFAR-10 binary files, named as in the official archive. */
export const cifar10CacheDir = (): string => path.join(torchnodeHome(), 'cifar10', 'cifar-10-batches-bin');
