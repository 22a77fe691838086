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
    if (kind === undefined) throw new UsageError(`unknown option --${flag}`);
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
