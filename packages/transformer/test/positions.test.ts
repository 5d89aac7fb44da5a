import { describe, expect, it } from 'vitest';
import { tensor } from '@attune/tensor';
import { positionIdsFromMask } from '../src/index.js';

describe('positionIdsFromMask', () => {
  it('counts real tokens from 0 in each row, left or right padded', async () => {
    const ids = positionIdsFromMask(tensor([[0, 0, 1, 1], [1, 1, 1, 1], [1, 1, 0, 0]]));
    expect(ids.dtype).toBe('int32');
    expect(Array.from(await ids.data())).toEqual([0, 0, 0, 1, 0, 1, 2, 3, 0, 1, 1, 1]);
  });

  it('names the argument when the mask is not (B, T)', () => {
    expect(() => positionIdsFromMask(tensor([1, 1]))).toThrow(/attentionMask must be \(B, T\)/);
  });
});
