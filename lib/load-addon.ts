// Where npm did not run torchnode's install script (newer npm asks before running them, and
// --ignore-scripts skips them), the first import builds the addon, saying so, instead of failing
// with a bare "module not found".
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The addon and its build record under a package root. */
export const addonFiles = (root: string) => ({
  addon: path.join(root, 'build', 'Release', 'torchnode.node'),
  record: path.join(root, 'build', 'Release', 'torchnode-build.json'),
});

/** Whether the addon and its build record are there. */
export const isBuilt = (root: string): boolean => {
  const f = addonFiles(root);
  return existsSync(f.addon) && existsSync(f.record);
};

/** The command that builds the addon by hand. */
export const BUILD_HINT = '`npx torchnode build` (or `npm rebuild torchnode`)';

/**
 * Builds the addon with scripts/install.mjs when it is missing: progress goes to stderr (stdout
 * stays the program's). TORCHNODE_NO_AUTO_BUILD=1 turns this into an error that says how to build.
 */
export function buildIfMissing(root: string): void {
  const f = addonFiles(root);
  // an addon without its record is a damaged build, said by the record reader, not rebuilt here
  if (existsSync(f.addon)) return;
  const missing = `native addon is not built (${path.relative(root, f.addon)} is missing: ` +
    'npm did not run its install script)';
  if (process.env.TORCHNODE_NO_AUTO_BUILD) throw new Error(`torchnode's ${missing}. Build it with ${BUILD_HINT}`);
  const script = path.join(root, 'scripts', 'install.mjs');
  process.stderr.write(`torchnode: the ${missing}; building it now against the libtorch it finds (a few minutes, once)...\n`);
  const r = spawnSync(process.execPath, [script], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  if (r.status !== 0 || !isBuilt(root)) {
    throw new Error(`torchnode's native addon could not be built (${script} ${r.error ? r.error.message : `exited with ${r.status}`}; ` +
      `its output is above). Fix what it says, then run ${BUILD_HINT}`);
  }
  process.stderr.write('torchnode: the addon is built\n');
}
