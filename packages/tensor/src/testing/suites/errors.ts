// Error messages: a shape mismatch names the op and both shapes; a wrong dtype names the expected
// and the actual dtype; an out-of-range index names the index and the size (checked on synchronous
// backends only: a GPU backend would need a readback); a bad dim names the dim and the rank.

import {
  add,
  cat,
  crossEntropy,
  embedding,
  expand,
  gather,
  indexSelect,
  layerNorm,
  matmul,
  mseLoss,
  narrow,
  oneHot,
  permute,
  reshape,
  scatterAdd,
  softmax,
  stack,
  sum,
  tensor,
  zeros,
} from '../../index.js';
import type { SuiteContext } from '../context.js';
import { expectThrows, int } from './helpers.js';

export function errorTests(t: SuiteContext): void {
  t.group('errors', () => {
    t.test('shape mismatch names the op and both shapes', async () => {
      await expectThrows(() => add(zeros([2, 3]), zeros([4])), 'add', '[2, 3]', '[4]');
      await expectThrows(() => zeros([2, 3]).mul(zeros([3, 2])), 'mul', '[2, 3]', '[3, 2]');
      await expectThrows(() => matmul(zeros([2, 3]), zeros([4, 5])), 'matmul', '[2, 3]', '[4, 5]');
      await expectThrows(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 1])), 'matmul');
      await expectThrows(() => cat([zeros([2, 3]), zeros([2, 4])], 0), 'cat', '[2, 3]', '[2, 4]');
      await expectThrows(() => stack([zeros([2]), zeros([3])]), 'stack', '[2]', '[3]');
      await expectThrows(() => reshape(zeros([2, 3]), [4, 2]), 'reshape', '[4, 2]', '6');
      await expectThrows(() => expand(zeros([2, 3]), [4, 3]), 'expand', '[2, 3]', '[4, 3]');
      await expectThrows(() => mseLoss(zeros([2]), zeros([3])), 'mseLoss', '[2]', '[3]');
      await expectThrows(() => layerNorm(zeros([2, 3]), [4]), 'layerNorm', '[4]', '[2, 3]');
      await expectThrows(() => crossEntropy(zeros([4, 3]), int([0, 1])), 'crossEntropy', '[4]', '[2]');
      await expectThrows(() => gather(zeros([2, 3]), 1, int([[0], [1], [2]])), 'gather', '[3, 1]', '[2, 3]');
      await expectThrows(() => scatterAdd(zeros([3]), 0, int([0, 1]), zeros([3])), 'scatterAdd', '[3]', '[2]');
    });
    t.test('wrong dtype names the expected and the actual dtype', async () => {
      await expectThrows(() => matmul(int([[1, 2]]), zeros([2, 1])), 'matmul', 'float32', 'int32');
      await expectThrows(() => gather(zeros([2, 3]), 1, tensor([[0], [1]])), 'gather', 'int32', 'float32');
      await expectThrows(() => indexSelect(zeros([3]), 0, tensor([0])), 'indexSelect', 'int32', 'float32');
      await expectThrows(() => crossEntropy(zeros([2, 3]), tensor([true, false])), 'crossEntropy', 'int32', 'bool');
      await expectThrows(() => softmax(int([1, 2]), 0), 'softmax', 'float32', 'int32');
      await expectThrows(() => mseLoss(zeros([2]), int([1, 2])), 'mseLoss', 'float32', 'int32');
      await expectThrows(() => oneHot(tensor([0, 1]), 2), 'oneHot', 'int32', 'float32');
      await expectThrows(() => cat([zeros([2]), int([1, 2])]), 'cat', 'int32', 'float32');
    });
    t.test('out-of-range index names the index and the size', async () => {
      await expectThrows(() => gather(zeros([2, 3]), 1, int([[0], [5]])), 'gather', '5', '3');
      await expectThrows(() => gather(zeros([2, 3]), 1, int([[-1], [0]])), 'gather', '-1', '3');
      await expectThrows(() => indexSelect(zeros([4, 2]), 0, int([1, 4])), 'indexSelect', '4');
      await expectThrows(() => embedding(int([0, 10]), zeros([6, 2])), '10', '6');
      await expectThrows(() => scatterAdd(zeros([3]), 0, int([3]), zeros([1])), 'scatterAdd', '3');
      await expectThrows(() => crossEntropy(zeros([2, 3]), int([0, 7])), 'crossEntropy', '7', '3');
      await expectThrows(() => oneHot(int([0, 3]), 3), 'oneHot', '3');
      await expectThrows(() => narrow(zeros([5]), 0, 3, 4), 'narrow', '5');
    });
    t.test('bad dim names the op, the dim and the rank', async () => {
      await expectThrows(() => sum(zeros([2, 3]), 2), 'sum', '2', 'rank 2');
      await expectThrows(() => sum(zeros([2, 3]), -3), 'sum', '-3', 'rank 2');
      await expectThrows(() => softmax(zeros([2, 3]), 2), 'softmax', '2');
      await expectThrows(() => cat([zeros([2]), zeros([2])], 1), 'cat', '1');
      await expectThrows(() => permute(zeros([2, 3]), [0]), 'permute', '[2, 3]');
      await expectThrows(() => permute(zeros([2, 3]), [0, 0]), 'permute', 'repeat');
      await expectThrows(() => sum(zeros([2, 3]), [1, 1]), 'sum', 'more than once');
      await expectThrows(() => zeros([2]).argmax(1), 'argmax', '1');
    });
    t.test('bad arguments name the op and the argument', async () => {
      await expectThrows(() => add(zeros([1]), 'a' as unknown as number), 'add');
      await expectThrows(() => crossEntropy(zeros([2, 3]), int([0, 1]), { reduction: 'avg' as 'mean' }), 'crossEntropy', 'reduction');
      await expectThrows(() => crossEntropy(zeros([2, 3]), int([0, 1]), { labelSmoothing: 2 }), 'labelSmoothing');
      await expectThrows(() => tensor([1, 2]).item(), 'one-element', '[2]');
    });
  });
}
