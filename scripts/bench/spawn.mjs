// Runs one side of a case in a fresh process and reads its one JSON result line.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(benchDir, '..', '..');
const casesDir = path.join(benchDir, 'cases');

/** `{batch: 32}` -> `['--batch=32']`. */
export const toFlags = (args) => Object.entries(args).map(([k, v]) => `--${k}=${v}`);

// node's own flags for the torchnode side, e.g. --node-flags=--single-threaded (see docs/profiles.md)
let nodeFlags = [];
export const setNodeFlags = (flags) => {
  nodeFlags = flags;
};

/** The node and python command lines of a case's two scripts. */
export function commands(script, args, python) {
  return {
    torchnode: [process.execPath, [...nodeFlags, path.join(casesDir, `${script}.mjs`), ...toFlags(args)]],
    pytorch: [python, [path.join(casesDir, `${script}.py`), ...toFlags(args)]],
  };
}

/**
 * A case's two command lines: its `script` in both languages, or its own `sides`
 * ({torchnode: [file, args], pytorch: [file, args]}, each a .mjs run by node or a .py by python).
 */
export function caseCommands(c, args, python) {
  if (!c.sides) return commands(c.script, args, python);
  const one = ([file, extra]) => {
    const argv = [path.join(casesDir, file), ...toFlags({ ...args, ...extra })];
    return file.endsWith('.py') ? [python, argv] : [process.execPath, [...nodeFlags, ...argv]];
  };
  return { torchnode: one(c.sides.torchnode), pytorch: one(c.sides.pytorch) };
}

/**
 * Runs `cmd args`; resolves with the last JSON line it printed and the seconds from spawn to
 * the first one (what the start-up case measures). Rejects with the tail of stderr on failure.
 */
export function runProcess(cmd, args, { timeoutMs = 30 * 60_000, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let firstLine = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (firstLine === null && /^\{.*\}\s*$/m.test(out)) firstLine = Number(process.hrtime.bigint() - start) / 1e9;
    });
    child.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || line === undefined) {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        reject(new Error(`${path.basename(args[0] ?? cmd)} failed (${why}): ${err.trim().split('\n').slice(-6).join(' | ') || 'no output'}`));
        return;
      }
      resolve({ result: JSON.parse(line), untilResult: firstLine });
    });
  });
}

/** Whether `python` imports torch, and its version. */
function torchVersion(python) {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The Python whose PyTorch shares torchnode's libtorch: --python or $PYTHON if given, else the
 * first of the build record's python, python3, /usr/bin/python3 that imports torch.
 */
export function findPython(record, explicit) {
  const wanted = explicit ?? process.env.PYTHON;
  if (wanted) {
    if (!torchVersion(wanted)) throw new Error(`${wanted} cannot import torch`);
    return wanted;
  }
  const candidates = [record.python, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const python of candidates) {
    if (torchVersion(python)) return python;
  }
  throw new Error(`no Python with PyTorch found (tried ${candidates.join(', ')}): set PYTHON`);
}
