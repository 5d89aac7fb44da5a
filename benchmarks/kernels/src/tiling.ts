// The matmul tiling as a command-line string, `tileMxtileNxtileKxblockMxblockN` (e.g. 64x64x16x4x4).

import type { MatmulTiling } from '@attune/tensor';

/** Parses `MxNxKxBMxBN` into a tiling, naming what is wrong. */
export function parseTiling(text: string): MatmulTiling {
  const parts = text.split('x').map(Number);
  if (parts.length !== 5 || parts.some((p) => !Number.isInteger(p) || p <= 0)) {
    throw new RangeError(`matmul tiling must be tileMxtileNxtileKxblockMxblockN (five positive integers, e.g. 64x64x16x4x4), got '${text}'`);
  }
  const [tileM, tileN, tileK, blockM, blockN] = parts as [number, number, number, number, number];
  if (tileM % blockM || tileN % blockN) throw new RangeError(`matmul tiling '${text}': tileM must be a multiple of blockM and tileN of blockN`);
  return { tileM, tileN, tileK, blockM, blockN };
}

/** The inverse of `parseTiling`. */
export function formatTiling(t: MatmulTiling): string {
  return `${t.tileM}x${t.tileN}x${t.tileK}x${t.blockM}x${t.blockN}`;
}
