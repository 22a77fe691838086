// Command-line flags to option objects: --kebab-case flags map to camelCase options, values
// are typed by the option's kind, and unknown flags are errors that name the flag.
export type FlagKind = 'string' | 'number' | 'boolean';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Edit distance with adjacent swaps counted once (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** "; did you mean --epochs?" for the closest of `known` (a third of the name may differ), or ''. */
export function didYouMean(name: string, known: readonly string[], prefix = ''): string {
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best === null ? '' : `; did you mean ${prefix}${best}?`;
}

/**
 * Parses `args` against `kinds` (camelCase option -> kind). Booleans take `--flag` or
 * `--no-flag`; others `--flag value` or `--flag=value`. Returns options and positional arguments.
 */
export function parseFlags(args: string[], kinds: Record<string, FlagKind>): { options: Record<string, unknown>; positional: string[] } {
  const options: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq < 0 ? undefined : eq);
    let key = camel(flag);
    let kind = kinds[key];
    let negated = false;
    if (kind === undefined && flag.startsWith('no-') && kinds[camel(flag.slice(3))] === 'boolean') {
      key = camel(flag.slice(3));
      kind = 'boolean';
      negated = true;
    }
    if (kind === undefined) throw new UsageError(`unknown option --${flag}${didYouMean(flag, Object.keys(kinds).map(kebab), '--')}`);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${flag} takes no value`);
      options[key] = !negated;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${flag} needs a value`);
    if (kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`Expected a number for --${flag} but received '${value}'`);
      options[key] = n;
    } else {
      options[key] = value;
    }
  }
  return { options, positional };
}

/** Rewrites "... for epochs but ..." in an option error into "... for --epochs but ...". */
export function flagMessage(message: string, kinds: Record<string, FlagKind>): string {
  return message.replace(/ for ([a-zA-Z]+) but /, (m, key: string) => (key in kinds ? ` for --${kebab(key)} but ` : m))
    .replace(/^Unknown option '([a-zA-Z]+)'.*$/, (m, key: string) => `unknown option '${key}' in the config file`);
}
