// Shared test helpers: closeness checks and PyTorch-made fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Tests compile to dist-test/test/; fixtures stay in test/fixtures/.
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as T;
}

type Nested = number | boolean | Nested[];

function flat(v: unknown): number[] {
  if (Array.isArray(v)) return v.flatMap(flat);
  if (typeof v === 'boolean') return [v ? 1 : 0];
  return [v as number];
}

/** Asserts |a - e| <= atol + rtol * |e| elementwise, with matching element counts. */
export function assertClose(actual: unknown, expected: Nested | ArrayLike<number>, { rtol = 1e-5, atol = 1e-6, what = 'value' } = {}): void {
  const a = flat(ArrayBuffer.isView(actual) ? Array.from(actual as unknown as ArrayLike<number>) : actual);
  const e = flat(ArrayBuffer.isView(expected) ? Array.from(expected as ArrayLike<number>) : expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(e[i]!);
    if (!(Math.abs(a[i]! - e[i]!) <= tol) && !(Number.isNaN(a[i]) && Number.isNaN(e[i]))) {
      assert.fail(`${what}[${i}] = ${a[i]}, expected ${e[i]} (tolerance ${tol})`);
    }
  }
}

/** Largest relative error max|a-e| / max|e|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num = Math.max(num, Math.abs(actual[i]! - expected[i]!));
    den = Math.max(den, Math.abs(expected[i]!));
  }
  return den === 0 ? num : num / den;
}

/** Shape of a nested array. */
export function shapeOf(v: unknown): number[] {
  const s: number[] = [];
  while (Array.isArray(v)) {
    s.push(v.length);
    v = v[0];
  }
  return s;
}
