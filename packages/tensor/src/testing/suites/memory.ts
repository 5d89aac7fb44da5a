// The memory model: tidy disposes intermediates and keeps what it returns (nested scopes,
// arrays, objects), keep, dispose, memory() counts, and leaf grads surviving tidy so a training
// step leaks nothing.

import { dispose, keep, linear, memory, mseLoss, ones, reshape, tensor, tidy, zeros, type Tensor } from '../../index.js';
import type { SuiteContext } from '../context.js';
import { check, expectThrows } from './helpers.js';

function live(): number {
  return memory().numTensors;
}

export function memoryTests(t: SuiteContext): void {
  t.group('memory', () => {
    t.test('tidy disposes intermediates and keeps the returned tensor', async () => {
      const before = live();
      let intermediate: Tensor | null = null;
      const out = tidy(() => {
        intermediate = ones([3]).mul(2);
        return intermediate.add(1).sum();
      });
      check(live() === before + 1, `live tensors: ${live() - before} new, expected 1`);
      check(intermediate !== null && (intermediate as Tensor).isDisposed, 'intermediate disposed');
      await t.close(out, 9);
      out.dispose();
      check(live() === before, 'back to the start after dispose');
    });
    t.test('nested tidy: an inner result moves to the outer scope', async () => {
      const before = live();
      let inner: Tensor | null = null;
      const out = tidy(() => {
        inner = tidy(() => ones([2]).mul(3));
        check(!(inner as Tensor).isDisposed, 'inner result alive inside the outer scope');
        return (inner as Tensor).add(1);
      });
      check((inner as unknown as Tensor).isDisposed, 'inner result disposed by the outer tidy');
      await t.close(out, [4, 4]);
      out.dispose();
      check(live() === before, `leaked ${live() - before}`);
    });
    t.test('tidy keeps tensors inside returned arrays and objects', async () => {
      const before = live();
      const result = tidy(() => {
        const a = ones([2]);
        return { pair: [a.mul(2), a.mul(3)], nested: { sum: a.sum() }, label: 'x', count: 2 };
      });
      check(live() === before + 3, `kept ${live() - before}, expected 3`);
      await t.close(result.pair[1], [3, 3]);
      await t.close(result.nested.sum, 2);
      dispose(result);
      check(live() === before, `leaked ${live() - before} after dispose(container)`);
    });
    t.test('keep protects a tensor from every enclosing tidy', async () => {
      const before = live();
      let kept: Tensor | null = null;
      tidy(() => {
        tidy(() => {
          kept = keep(zeros([4]).add(1));
        });
      });
      const k = kept as unknown as Tensor;
      check(!k.isDisposed, 'kept tensor alive');
      await t.close(k, [1, 1, 1, 1]);
      k.dispose();
      check(live() === before, `leaked ${live() - before}`);
    });
    t.test('tidy disposes its tensors when fn throws, and rejects async functions', async () => {
      const before = live();
      await expectThrows(() => tidy(() => {
        ones([3]).mul(2);
        throw new Error('inside tidy');
      }), 'inside tidy');
      check(live() === before, `leaked ${live() - before} after a throw`);
      await expectThrows(() => tidy((async () => ones([1])) as unknown as () => Tensor), 'Promise');
      check(live() === before, `leaked ${live() - before} after an async fn`);
    });
    t.test('memory() counts tensors, buffers and bytes; views share a buffer', async () => {
      const start = memory();
      const x = zeros([10]);
      const afterCreate = memory();
      check(afterCreate.numTensors === start.numTensors + 1, 'numTensors +1');
      check(afterCreate.numBuffers === start.numBuffers + 1, 'numBuffers +1');
      check(afterCreate.numBytes === start.numBytes + 40, `numBytes +${afterCreate.numBytes - start.numBytes}, expected +40 for 10 float32`);
      const v = reshape(x, [2, 5]);
      check(memory().numTensors === start.numTensors + 2 && memory().numBuffers === start.numBuffers + 1, 'a reshape view adds a tensor, not a buffer');
      x.dispose();
      check(memory().numBuffers === start.numBuffers + 1, 'the view keeps the buffer alive');
      await t.close(v, [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
      v.dispose();
      const end = memory();
      check(end.numTensors === start.numTensors && end.numBuffers === start.numBuffers && end.numBytes === start.numBytes, 'all freed');
      check(end.backend === t.backend.name, `memory().backend '${end.backend}'`);
    });
    t.test('dispose is idempotent and a disposed tensor cannot be used', async () => {
      const x = ones([2]);
      x.dispose();
      x.dispose();
      check(x.isDisposed, 'isDisposed');
      await expectThrows(() => x.add(1), 'disposed');
    });
    t.test("a leaf's .grad survives tidy; a training step leaks nothing", async () => {
      const w = tensor([[0.5, -0.25], [0.1, 0.2]], { requiresGrad: true });
      const b = zeros([2], { requiresGrad: true });
      const x = tensor([[1, 2], [3, 4], [5, 6]]);
      const y = tensor([[1, 0], [0, 1], [1, 1]]);
      const step = () =>
        tidy(() => {
          const loss = mseLoss(linear(x, w, b), y);
          loss.backward();
        });
      step();
      check(w.grad !== null && !w.grad.isDisposed && b.grad !== null, 'grads alive after tidy');
      const before = memory();
      step(); // accumulates into existing grads: the count must not change
      const after = memory();
      check(after.numTensors === before.numTensors && after.numBytes === before.numBytes, `a step leaked ${after.numTensors - before.numTensors} tensors, ${after.numBytes - before.numBytes} bytes`);
      for (const p of [w, b, x, y]) p.dispose(); // disposes the grads too
    });
    t.test('backward outside tidy leaves only the leaf grads behind', async () => {
      const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
      const constant = tensor([1, 2, 3]); // broadcast: its (unneeded) gradient is a reduction
      const loss = x.add(constant).mul(2).sum();
      const before = live();
      loss.backward();
      check(live() === before + 1, `backward left ${live() - before} new tensors, expected 1 (x.grad)`);
      await t.close(x.grad!, [[2, 2, 2], [2, 2, 2]]);
    });
    t.test('disposing a leaf disposes its grad', async () => {
      const before = live();
      const w = ones([3], { requiresGrad: true });
      tidy(() => w.mul(2).sum().backward());
      check(live() === before + 2, `leaf + grad: ${live() - before}`);
      w.dispose();
      check(live() === before, `leaked ${live() - before}`);
    });
  });
}
