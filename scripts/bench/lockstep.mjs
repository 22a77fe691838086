// Lockstep runs: a torchnode process and its PyTorch twin, each set up and warmed up, take turns
// round by round (A B, B A, A B, ...), so a machine that drifts between speeds slows both alike.
import { spawn } from 'node:child_process';
import path from 'node:path';

import { root } from './spawn.mjs';

/** One case process answering "round" lines on stdin with `{"value": ...}` lines on stdout. */
class Worker {
  #child;
  #lines = [];
  #waiting = null;
  #failure = null;
  #stderr = '';

  constructor(side, cmd, args) {
    this.side = side;
    this.name = path.basename(args[0] ?? cmd);
    this.#child = spawn(cmd, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let buffer = '';
    this.#child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 1);
        if (line.startsWith('{')) this.#deliver(JSON.parse(line));
      }
    });
    this.#child.stderr.on('data', (chunk) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#child.on('error', (e) => this.#fail(e));
    this.#child.on('close', (code, signal) => {
      if (code !== 0 || this.#waiting) {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        this.#fail(new Error(`${this.name} failed (${why}): ${this.#stderr.trim().split('\n').slice(-6).join(' | ') || 'no output'}`));
      }
    });
  }

  #deliver(message) {
    if (this.#waiting) {
      const { resolve } = this.#waiting;
      this.#waiting = null;
      resolve(message);
    } else {
      this.#lines.push(message);
    }
  }

  #fail(error) {
    this.#failure ??= error;
    if (this.#waiting) {
      const { reject } = this.#waiting;
      this.#waiting = null;
      reject(error);
    }
  }

  /** The next result line; a worker that dies or stays silent past `timeoutMs` is an error. */
  next(timeoutMs) {
    if (this.#lines.length) return Promise.resolve(this.#lines.shift());
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#child.kill('SIGKILL');
        this.#fail(new Error(`${this.name} gave no result in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#waiting = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
    });
  }

  async round(timeoutMs) {
    this.#child.stdin.write('round\n');
    return (await this.next(timeoutMs)).value;
  }

  /** Asks the worker to stop and waits for it to exit. */
  end() {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) resolve();
      else {
        this.#child.once('exit', () => resolve());
        this.#child.stdin.end('end\n');
      }
    });
  }

  kill() {
    this.#child.kill('SIGKILL');
  }
}

/**
 * `processes` pairs of workers, started one after the other; each pair runs `rounds` rounds,
 * alternating which side goes first. Values come back in round order, paired by index.
 */
export async function lockstep({ commands, processes, rounds, timeoutMs = 20 * 60_000 }) {
  const values = { torchnode: [], pytorch: [] };
  // what each side said when ready, e.g. how far its outputs are from PyTorch eager's
  const ready = { torchnode: [], pytorch: [] };
  for (let p = 0; p < processes; p++) {
    const workers = [];
    try {
      for (const side of ['torchnode', 'pytorch']) {
        const worker = new Worker(side, ...commands[side]);
        workers.push(worker);
        ready[side].push(await worker.next(timeoutMs)); // set up and warmed up, before the other side starts
      }
      for (let r = 0; r < rounds; r++) {
        const order = (p * rounds + r) % 2 === 0 ? workers : [...workers].reverse();
        for (const w of order) values[w.side].push(await w.round(timeoutMs));
      }
      await Promise.all(workers.map((w) => w.end()));
    } catch (e) {
      for (const w of workers) w.kill();
      throw e;
    }
  }
  return Object.defineProperty(values, 'ready', { value: ready });
}
