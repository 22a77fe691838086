// The official CIFAR-10 source: the binary archive from the University of Toronto, unpacked into the cache.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { ALL_FILES, writeCanonical, type Cifar10File } from './cifar10-files.js';
import { downloadFile } from './download.js';
import type { ProgressFn } from './progress.js';
import { readTarGz } from './tar.js';

export const ARCHIVE_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const ARCHIVE_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

/** Where the archive comes from; tests point it at a local server. */
export interface ArchiveSource {
  url: string;
  md5: string;
}

/**
 * Downloads the official archive, checks its md5, and writes its six .bin files (each checked
 * against its canonical md5) into `cacheDir`. The archive itself is deleted afterwards.
 *
 * @example
 * await fetchOfficialArchive(cifar10CacheDir());
 */
export async function fetchOfficialArchive(cacheDir: string, progress?: ProgressFn,
  { url, md5 }: ArchiveSource = { url: ARCHIVE_URL, md5: ARCHIVE_MD5 }): Promise<void> {
  const parent = path.dirname(cacheDir);
  fs.mkdirSync(parent, { recursive: true });
  const archive = path.join(parent, `.cifar-10-binary.tar.gz.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    progress?.({ source: 'download', stage: 'fetch', message: `fetching ${url}` });
    const got = await downloadFile(url, archive, {
      onBytes: (bytes, totalBytes) => progress?.({ source: 'download', stage: 'fetch', message: `fetching ${url}`, bytes, totalBytes }),
    });
    if (got !== md5) throw new Error(`the archive from ${url} has md5 ${got} but the canonical one is ${md5}`);
    progress?.({ source: 'download', stage: 'extract', message: 'extracting cifar-10-batches-bin/' });
    const members = new Map<string, Uint8Array>();
    for (const entry of readTarGz(fs.readFileSync(archive), url)) {
      const [folder, name] = entry.path.split('/').slice(-2);
      if (entry.type === 'file' && folder === 'cifar-10-batches-bin' && name !== undefined) members.set(name, entry.data);
    }
    const missing = ALL_FILES.filter((name) => !members.has(name));
    if (missing.length > 0) throw new Error(`the archive from ${url} lacks cifar-10-batches-bin/${missing.join(', ')}`);
    for (const name of ALL_FILES) {
      progress?.({ source: 'download', stage: 'write', message: `writing ${path.join(cacheDir, name)}` });
      writeCanonical(cacheDir, name as Cifar10File, members.get(name)!, url);
    }
  } finally {
    fs.rmSync(archive, { force: true });
  }
}
