// Creation: from data, constant fills, ranges, identity, and the seeded random tensors
// (reproducibility per seed, and first and second moments within 5 standard errors).

import {
  Generator,
  arange,
  categorical,
  eye,
  full,
  fullLike,
  linspace,
  manualSeed,
  multinomial,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randnLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
} from '../../index.js';
import type { SuiteContext } from '../context.js';
import { check, expectThrows, histogram, moments, near, sameValues } from './helpers.js';

export function creationTests(t: SuiteContext): void {
  t.group('creation', () => {
    t.test('tensor from nested arrays infers shape and float32', async () => {
      const x = tensor([[1, 2, 3], [4, 5, 6]]);
      await t.close(x, [[1, 2, 3], [4, 5, 6]], { dtype: 'float32', rtol: 0, atol: 0 });
      check(x.ndim === 2 && x.size === 6, `ndim/size ${x.ndim}/${x.size}`);
    });
    t.test('tensor from booleans is bool, from Int32Array is int32', async () => {
      await t.close(tensor([true, false, true]), [1, 0, 1], { dtype: 'bool', atol: 0, rtol: 0 });
      await t.close(tensor(new Int32Array([3, -4])), [3, -4], { dtype: 'int32', atol: 0, rtol: 0 });
    });
    t.test('tensor with dtype int32 truncates toward zero; with shape reshapes flat data', async () => {
      await t.close(tensor([1.7, -1.7, 2.5], { dtype: 'int32' }), [1, -1, 2], { dtype: 'int32', atol: 0, rtol: 0 });
      await t.close(tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] }), [[1, 2], [3, 4], [5, 6]], { atol: 0, rtol: 0 });
      await t.close(tensor([0, 2, -1], { dtype: 'bool' }), [0, 1, 1], { dtype: 'bool', atol: 0, rtol: 0 });
    });
    t.test('tensor rejects ragged arrays and a shape of the wrong size', async () => {
      await expectThrows(() => tensor([[1, 2], [3]]), 'ragged');
      await expectThrows(() => tensor([1, 2, 3], { shape: [2, 2] }), '[2, 2]', '3');
    });
    t.test('scalar is 0-d', async () => {
      const s = scalar(2.5);
      check(s.ndim === 0 && s.size === 1, `shape [${s.shape}]`);
      await t.close(s, 2.5, { shape: [] });
      check((await s.item()) === 2.5, 'item()');
    });
    t.test('zeros, ones, full and the *Like variants', async () => {
      await t.close(zeros([2, 3]), [[0, 0, 0], [0, 0, 0]], { dtype: 'float32', atol: 0 });
      await t.close(ones([2], { dtype: 'int32' }), [1, 1], { dtype: 'int32', atol: 0 });
      await t.close(full([2, 2], -3.5), [[-3.5, -3.5], [-3.5, -3.5]], { atol: 0 });
      const x = tensor([[1, 2]], { dtype: 'int32' });
      await t.close(zerosLike(x), [[0, 0]], { dtype: 'int32', atol: 0 });
      await t.close(onesLike(x), [[1, 1]], { dtype: 'int32', atol: 0 });
      await t.close(fullLike(x, 7), [[7, 7]], { dtype: 'int32', atol: 0 });
      check(zeros([0, 3]).size === 0, 'empty tensor size');
    });
    t.test('full with dtype bool stores 0/1', async () => {
      // A bool tensor must hold 0/1 so that it compares equal to other true values.
      await t.close(full([2], 2, { dtype: 'bool' }), [1, 1], { dtype: 'bool', atol: 0, rtol: 0 });
      await t.close(full([2], 2, { dtype: 'bool' }).eq(tensor([true, true])), [1, 1], { dtype: 'bool', atol: 0, rtol: 0 });
    });
    t.test('creation options place the tensor on the given backend and set requiresGrad', async () => {
      const x = zeros([2], { backend: t.backend, requiresGrad: true });
      check(x.backend === t.backend, `backend '${x.backend.name}'`);
      check(x.requiresGrad && x.isLeaf, 'requiresGrad leaf');
    });
    t.test('arange: integer ranges are int32, fractional float32, negative steps, empty', async () => {
      await t.close(arange(5), [0, 1, 2, 3, 4], { dtype: 'int32', atol: 0 });
      await t.close(arange(2, 5), [2, 3, 4], { dtype: 'int32', atol: 0 });
      await t.close(arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75], { dtype: 'float32', atol: 0 });
      await t.close(arange(5, 0, -2), [5, 3, 1], { atol: 0 });
      check(arange(3, 3).size === 0, 'arange(3, 3) is empty');
      await expectThrows(() => arange(0, 1, 0), 'step');
    });
    t.test('linspace includes both ends', async () => {
      await t.close(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1], { dtype: 'float32', atol: 0 });
      await t.close(linspace(-1, 1, 3), [-1, 0, 1], { atol: 0 });
      const values = await linspace(0, 1, 7).data();
      check(values[6] === 1 && values[0] === 0, `ends ${values[0]}, ${values[6]}`);
      check(linspace(0, 1, 0).size === 0, 'steps = 0 is empty');
    });
    t.test('linspace with steps = 1 returns start', async () => {
      await t.close(linspace(3, 10, 1), [3], { atol: 0 });
    });
    t.test('eye: square and rectangular', async () => {
      await t.close(eye(3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], { atol: 0 });
      await t.close(eye(2, 3), [[1, 0, 0], [0, 1, 0]], { atol: 0 });
    });

    t.test('rand/randn/randint are reproducible per Generator seed and differ across seeds', async () => {
      for (const draw of [
        (g: Generator) => rand([50], { generator: g }),
        (g: Generator) => randn([50], { generator: g }),
        (g: Generator) => randint(0, 1000, [50], { generator: g }),
      ]) {
        const a = await draw(new Generator(7)).data();
        const b = await draw(new Generator(7)).data();
        const c = await draw(new Generator(8)).data();
        check(sameValues(a, b), 'same seed, same values');
        check(!sameValues(a, c), 'different seeds, different values');
      }
    });
    t.test('manualSeed reseeds the default generator; getState/setState replay a stream', async () => {
      manualSeed(123);
      const a = await rand([20]).data();
      manualSeed(123);
      const b = await rand([20]).data();
      check(sameValues(a, b), 'manualSeed replays the default stream');
      const g = new Generator(5);
      randn([3], { generator: g }); // leaves a cached Box–Muller deviate in the state
      const state = g.getState();
      const first = await randn([9], { generator: g }).data();
      g.setState(state);
      const again = await randn([9], { generator: g }).data();
      check(sameValues(first, again), 'setState replays the stream');
    });
    t.test('rand is uniform on [0, 1): range, mean 1/2, variance 1/12', async () => {
      const n = 20000;
      const values = await rand([n], { generator: new Generator(1) }).data();
      check(values.every((v) => v >= 0 && v < 1), 'values in [0, 1)');
      const { mean, variance } = moments(values);
      near('rand mean', mean, 0.5, 5 * Math.sqrt(1 / 12 / n));
      near('rand variance', variance, 1 / 12, 5 * Math.sqrt((1 / 80 - 1 / 144) / n));
    });
    t.test('randn is standard normal; mean and std options shift and scale it', async () => {
      const n = 20000;
      const standard = moments(await randn([n], { generator: new Generator(2) }).data());
      near('randn mean', standard.mean, 0, 5 / Math.sqrt(n));
      near('randn variance', standard.variance, 1, 5 * Math.sqrt(2 / n));
      const shifted = moments(await randn([n], { generator: new Generator(3), mean: 3, std: 2 }).data());
      near('randn(mean 3) mean', shifted.mean, 3, 10 / Math.sqrt(n));
      near('randn(std 2) variance', shifted.variance, 4, 20 * Math.sqrt(2 / n));
      const like = randnLike(zeros([2, 3]));
      check(like.shape.join() === '2,3' && like.dtype === 'float32', 'randnLike shape/dtype');
    });
    t.test('randint is int32, uniform over [low, high)', async () => {
      const n = 20000;
      const x = randint(-2, 3, [n], { generator: new Generator(4) });
      check(x.dtype === 'int32', `dtype ${x.dtype}`);
      const values = await x.data();
      const counts = histogram(values.map((v) => v + 2), 5);
      for (const c of counts) near('randint class frequency', c / n, 0.2, 5 * Math.sqrt(0.16 / n));
      await expectThrows(() => randint(3, 3, [2]), 'low', 'high');
    });
    t.test('categorical samples match softmax(logits) and never pick a −∞ logit', async () => {
      const rows = 20000;
      const logits = tensor([0, Math.log(2), Math.log(5), -Infinity]).expand([rows, 4]);
      const x = categorical(logits, { generator: new Generator(5) });
      check(x.dtype === 'int32' && x.shape.join() === String(rows), `dtype ${x.dtype}, shape [${x.shape}]`);
      const counts = histogram(await x.data(), 4);
      const p = [1 / 8, 2 / 8, 5 / 8, 0];
      counts.forEach((c, i) => near(`categorical frequency of class ${i}`, c / rows, p[i], 5 * Math.sqrt((p[i] * (1 - p[i])) / rows) + 1e-12));
      const again = categorical(logits, { generator: new Generator(5) });
      check(sameValues(await again.data(), await x.data()), 'seeded categorical is reproducible');
    });
    t.test('multinomial with replacement matches normalised probabilities', async () => {
      const rows = 4000;
      const samples = 5;
      const probs = tensor([2, 3, 5, 0]).expand([rows, 4]); // unnormalised: 0.2, 0.3, 0.5, 0
      const x = multinomial(probs, samples, { replacement: true, generator: new Generator(6) });
      check(x.dtype === 'int32' && x.shape.join() === `${rows},${samples}`, `dtype ${x.dtype}, shape [${x.shape}]`);
      const counts = histogram(await x.data(), 4);
      const n = rows * samples;
      [0.2, 0.3, 0.5, 0].forEach((p, i) => near(`multinomial frequency of class ${i}`, counts[i] / n, p, 5 * Math.sqrt((p * (1 - p)) / n) + 1e-12));
    });
    t.test('multinomial without replacement draws distinct categories, never a zero-probability one', async () => {
      const rows = 3000;
      const x = multinomial(tensor([1, 0, 2, 1]).expand([rows, 4]), 3, { generator: new Generator(9) });
      const values = await x.data();
      for (let r = 0; r < rows; r++) {
        const row = [values[3 * r], values[3 * r + 1], values[3 * r + 2]];
        check(new Set(row).size === 3 && !row.includes(1), `row ${r}: [${row}]`);
      }
      // The first draw follows the normalised probabilities 1/4, 0, 1/2, 1/4.
      const first = histogram(values.filter((_, i) => i % 3 === 0), 4);
      near('first draw frequency of class 2', first[2] / rows, 0.5, 5 * Math.sqrt(0.25 / rows));
      const single = multinomial(tensor([0.1, 0.6, 0.3]), 2, { generator: new Generator(1) });
      check(single.shape.join() === '2', `1-D probs give shape [numSamples], got [${single.shape}]`);
      await expectThrows(() => multinomial(tensor([0.5, 0.5]), 3), '3', '2');
    });
  });
}
