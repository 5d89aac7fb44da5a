// Autograd semantics: accumulation across backward calls, explicit gradients, the scalar rule,
// noGrad, detach, requiresGrad on non-float tensors, retainGraph, shared subexpressions, deep
// graphs, and which tensors are leaves.

import { add, exp, isGradEnabled, mul, noGrad, tensor, zeros, type Tensor } from '../../index.js';
import type { SuiteContext } from '../context.js';
import { check, expectThrows, int } from './helpers.js';

export function autogradTests(t: SuiteContext): void {
  t.group('autograd', () => {
    t.test('gradients accumulate across two backward calls', async () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      mul(x, x).sum().backward();
      await t.close(x.grad!, [2, 4, 6]);
      mul(x, 3).sum().backward();
      await t.close(x.grad!, [5, 7, 9]);
    });
    t.test('two leaves fed by one add get separate grads across two backward calls', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = tensor([3, 4], { requiresGrad: true });
      add(x, y).sum().backward();
      add(x, y).sum().backward();
      await t.close(x.grad!, [2, 2]);
      await t.close(y.grad!, [2, 2]);
      check(x.grad !== y.grad, 'x.grad and y.grad must be distinct tensors');
    });
    t.test('zeroing one leaf grad leaves the other leaf grad intact', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = tensor([3, 4], { requiresGrad: true });
      mul(add(x, y), 2).sum().backward();
      x.grad!.zero_();
      await t.close(y.grad!, [2, 2]);
    });
    t.test('backward on a non-scalar without a gradient throws a clear message', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      await expectThrows(() => mul(x, 2).backward(), 'scalar', '[2]');
    });
    t.test('backward with an explicit gradient (vector–Jacobian product)', async () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      mul(x, x).backward(tensor([1, 0.5, -1]));
      await t.close(x.grad!, [2, 2, -6]);
    });
    t.test('backward with a gradient of the wrong shape throws naming both shapes', async () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      await expectThrows(() => mul(x, 2).backward(tensor([1, 2])), '[2]', '[3]');
    });
    t.test('backward on a tensor that does not require grad throws', async () => {
      await expectThrows(() => tensor([1]).sum().backward(), 'grad');
    });
    t.test('noGrad records nothing and restores the mode, even on throw', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = noGrad(() => {
        check(!isGradEnabled(), 'grad mode off inside noGrad');
        return mul(x, 2);
      });
      check(!y.requiresGrad && y.gradFn === null, 'result of noGrad does not require grad');
      check(isGradEnabled(), 'grad mode restored');
      try {
        noGrad(() => {
          throw new Error('boom');
        });
      } catch {
        // expected
      }
      check(isGradEnabled(), 'grad mode restored after a throw');
      await t.close(y, [2, 4]);
    });
    t.test('detach cuts the graph and shares values', async () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      const d = x.detach();
      check(!d.requiresGrad && d.isLeaf, 'detached tensor is a leaf without grad');
      await t.close(d, [1, 2, 3]);
      // y = x · stop_gradient(x): dy/dx = x, not 2x.
      mul(x, x.detach()).sum().backward();
      await t.close(x.grad!, [1, 2, 3]);
    });
    t.test('requiresGrad on int32 or bool throws naming the dtype', async () => {
      await expectThrows(() => {
        int([1, 2]).requiresGrad = true;
      }, 'int32');
      await expectThrows(() => tensor([1], { dtype: 'int32', requiresGrad: true }), 'int32');
      await expectThrows(() => tensor([true]).requiresGrad_(), 'bool');
    });
    t.test('retainGraph allows a second backward, which accumulates', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const loss = mul(x, x).sum();
      loss.backward(undefined, { retainGraph: true });
      loss.backward();
      await t.close(x.grad!, [4, 8]);
    });
    t.test('backward twice without retainGraph throws', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const loss = mul(x, x).sum();
      loss.backward();
      await expectThrows(() => loss.backward(), 'retainGraph');
    });
    t.test('a shared subexpression accumulates: x used twice, and a = eˣ used twice', async () => {
      const x = tensor([0.5, -1], { requiresGrad: true });
      add(mul(x, x), x).sum().backward(); // d/dx (x² + x) = 2x + 1
      await t.close(x.grad!, [2, -1]);
      const z = tensor([0.5, -1], { requiresGrad: true });
      const a = exp(z);
      mul(a, a).sum().backward(); // d/dz e^{2z} = 2e^{2z}
      await t.close(z.grad!, [2 * Math.exp(1), 2 * Math.exp(-2)]);
    });
    t.test('a deep chain of 5000 ops backpropagates without overflowing the stack', async () => {
      const x = tensor([1], { requiresGrad: true });
      let y: Tensor = x;
      for (let i = 0; i < 5000; i++) y = add(y, 0.001);
      y.sum().backward();
      await t.close(x.grad!, [1]);
    });
    t.test('leaves, gradFn and grads of tensors that do not require grad', async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const c = tensor([3, 4]);
      const y = mul(x, c);
      check(x.isLeaf && c.isLeaf && !y.isLeaf, 'isLeaf');
      check(y.gradFn?.name === 'mul', `gradFn ${y.gradFn?.name}`);
      y.sum().backward();
      check(c.grad === null, 'a constant gets no grad');
      await t.close(x.grad!, [3, 4]);
    });
    t.test('gradients do not flow into int32 operands', async () => {
      const x = tensor([1.5, 2.5], { requiresGrad: true });
      add(x, int([1, 2])).sum().backward();
      await t.close(x.grad!, [1, 1]);
    });
    t.test('requiresGrad_ turns a fresh tensor into a leaf that records', async () => {
      const w = zeros([2]).requiresGrad_();
      mul(add(w, 1), tensor([2, 3])).sum().backward();
      await t.close(w.grad!, [2, 3]);
    });
  });
}
