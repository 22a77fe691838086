// What the tests know about libtorch versions: which Python's PyTorch runs on the libtorch under
// test, and the results that libtorch 1.13 and 2.x compute differently, with the tolerance a
// fixture made by the other version needs (every such case is listed here, with its reason).
import * as torch from 'torchnode';

import type { Tolerance } from './reference.js';

/** The Python whose PyTorch runs on the libtorch torchnode was built against (the build record's), or null. */
export const PYTHON: string | null = torch.buildInfo.python ?? null;

/** Why PyTorch-side tests cannot run here, or undefined. */
export const noPython: string | undefined = PYTHON ? undefined
  : `no Python whose PyTorch runs on libtorch ${torch.buildInfo.version} (${torch.buildInfo.detail}) was found at build time`;

const family = (version: string) => (version.startsWith('1.') ? '1.x' : '2.x');

/** Whether a fixture made by PyTorch `fixtureTorch` comes from the same family (1.x, 2.x) as the libtorch under test. */
export const sameFamily = (fixtureTorch: string): boolean => family(fixtureTorch) === family(torch.buildInfo.version);

/**
 * Results that differ between 1.13 and 2.x, by fixture key. Within a family they are compared
 * as usual (often exactly); across families with the tolerance here.
 */
export const CROSS_VERSION: Record<string, { tolerance: Tolerance; why: string }> = {
  'half_arithmetic.bf16MulScalar': {
    tolerance: { rtol: 2 ** -7, atol: 0 },
    why: 'bfloat16 times a Python number: 1.13 rounds the product of bf16 operands, 2.x computes in float32 and rounds once; one bf16 ulp apart',
  },
};

/** The tolerance for `key` of a fixture made by `fixtureTorch`: `own` within a family, the written-down one across. */
export function toleranceFor(key: string, fixtureTorch: string, own: Tolerance): Tolerance {
  const cross = CROSS_VERSION[key];
  return cross && !sameFamily(fixtureTorch) ? cross.tolerance : own;
}
