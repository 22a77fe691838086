// The Node flags a worker thread starts with: the parent's, less those that only describe the main
// entry (a worker given `--input-type` refuses to start: it has a file, not a string, to run).

// Flags taking the next argument as their value when written apart (`-e CODE`).
const ENTRY_WITH_VALUE = new Set(['--input-type', '-e', '--eval', '-p', '--print']);
const ENTRY_ALONE = new Set(['-i', '--interactive', '-c', '--check', '-']);

/**
 * `execArgv` without the entry-only flags (`--input-type`, `--eval`, `--print`, `--interactive`,
 * `--check`), in both the `--flag=value` and the `--flag value` forms.
 * @example workerExecArgv(['--input-type=module', '-e', 'code', '--max-old-space-size=100']) // ['--max-old-space-size=100']
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const name = arg.startsWith('--') ? arg.split('=', 1)[0]! : arg;
    if (ENTRY_ALONE.has(name)) continue;
    if (ENTRY_WITH_VALUE.has(name)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
