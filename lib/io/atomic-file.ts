// Atomic file replacement: readers of the target see the old file or the complete new one, never a mix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Writes all of `bytes` at `position`, looping over short writes. */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength;) {
    done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
  }
}

/** Flushes a directory entry (the rename) to disk; a platform that cannot sync directories is let be. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32' || (e as NodeJS.ErrnoException).code === 'EISDIR') return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!['EINVAL', 'ENOTSUP', 'EPERM', 'EISDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Test hooks, read per write so a test process can set them: TORCHNODE_TEST_PAUSE_IN_WRITE=ms
 * holds every write between its synced temporary file and the rename (so a kill lands there);
 * TORCHNODE_TEST_FAIL_WRITE=NAME:N makes the Nth write of a file named NAME (counted while the
 * hook is set) fail with ENOSPC once its bytes are in the temporary file, as a disk that fills would.
 */
const failedWrites = new Map<string, number>();

function failIfTestSaysSo(target: string): void {
  const hook = process.env.TORCHNODE_TEST_FAIL_WRITE;
  if (!hook) return;
  const name = path.basename(target);
  const count = (failedWrites.get(name) ?? 0) + 1;
  failedWrites.set(name, count);
  if (hook !== `${name}:${count}`) return;
  throw Object.assign(new Error(`ENOSPC: no space left on device, write '${target}'`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

function pauseIfTestSaysSo(): void {
  const ms = Number(process.env.TORCHNODE_TEST_PAUSE_IN_WRITE ?? 0);
  // a synchronous sleep: the write must hold its thread, as a slow disk would
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Replaces `target` with the bytes that `fill` writes: they go to a temporary file in the same
 * directory, which is synced and then renamed over `target`. If anything throws, the temporary
 * file is removed and `target` is left as it was.
 */
export function writeFileAtomic(target: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const dir = path.dirname(path.resolve(target));
  // Hidden, unique, and within a 255-byte name limit however long the target's name is.
  const stem = Array.from(path.basename(target)).slice(0, 40).join('');
  const tmp = path.join(dir, `.${stem}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o666);
  let open = true;
  try {
    let position = 0;
    fill((bytes) => {
      writeAll(fd, bytes, position);
      position += bytes.byteLength;
    });
    failIfTestSaysSo(target);
    fs.fsyncSync(fd);
    open = false;
    fs.closeSync(fd);
    pauseIfTestSaysSo();
    fs.renameSync(tmp, target);
  } catch (e) {
    // Clean-up failures are swallowed: the error that stopped the write is the one to report.
    if (open) try { fs.closeSync(fd); } catch { /* already reporting e */ }
    try { fs.rmSync(tmp, { force: true }); } catch { /* already reporting e */ }
    throw e;
  }
  syncDirectory(dir);
}

/** Renames `from` to `to` (same directory) and flushes the rename to disk. */
export function renameDurably(from: string, to: string): void {
  fs.renameSync(from, to);
  syncDirectory(path.dirname(path.resolve(to)));
}

/** Whether `name` is a temporary file of writeFileAtomic whose writer is no longer running here. */
export function isStaleTemporary(name: string): boolean {
  const m = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
