// The matmul tiling as a command-line string, `tileMxtileNxtileKxblockMxblockN` (e.g. 64x64x16x4x4),
// with an `s` at the end for the scalar kernel (`vectorized: false`).

import type { MatmulTiling } from '@attune/tensor';

/** Parses `MxNxKxBMxBN[s]` into a tiling, naming what is wrong. */
export function parseTiling(text: string): MatmulTiling {
  const scalar = text.endsWith('s');
  const parts = (scalar ? text.slice(0, -1) : text).split('x').map(Number);
  if (parts.length !== 5 || parts.some((p) => !Number.isInteger(p) || p <= 0)) {
    throw new RangeError(`matmul tiling must be tileMxtileNxtileKxblockMxblockN (five positive integers, e.g. 64x64x16x4x4, with an 's' at the end for the scalar kernel), got '${text}'`);
  }
  const [tileM, tileN, tileK, blockM, blockN] = parts as [number, number, number, number, number];
  if (tileM % blockM || tileN % blockN) throw new RangeError(`matmul tiling '${text}': tileM must be a multiple of blockM and tileN of blockN`);
  return { tileM, tileN, tileK, blockM, blockN, ...(scalar ? { vectorized: false } : {}) };
}

/** The inverse of `parseTiling`. */
export function formatTiling(t: MatmulTiling): string {
  return `${t.tileM}x${t.tileN}x${t.tileK}x${t.blockM}x${t.blockN}${t.vectorized === false ? 's' : ''}`;
}
