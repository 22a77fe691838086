// How busy the machine was with other work while a case ran: CPU time all processes used,
// less what this runner and its children used, over the cores' time (Linux /proc only).
import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS = 100; // USER_HZ, the unit of /proc/stat and /proc/<pid>/stat on Linux

function snapshot() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    // fields after the command name (which may hold spaces): utime is 14th overall, cstime 17th
    const self = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').map(Number);
    const mine = self[11] + self[12] + self[13] + self[14];
    return { busy: user + nice + system + irq + softirq + steal, mine, at: process.hrtime.bigint() };
  } catch {
    return null;
  }
}

/** Starts a measurement; `stop()` gives the other processes' share of all cores, 0..1, or null. */
export function watchLoad() {
  const start = snapshot();
  return {
    stop() {
      const end = snapshot();
      if (!start || !end) return null;
      const seconds = Number(end.at - start.at) / 1e9;
      const others = (end.busy - start.busy - (end.mine - start.mine)) / TICKS;
      return Math.min(1, Math.max(0, others / (seconds * os.availableParallelism())));
    },
  };
}
