// Tests of the testing helpers themselves: a suite is only as good as its ability to fail, so
// these check that expectAllclose and finiteDifferenceGradCheck reject wrong values and wrong
// gradients with useful messages, and that defineOpSuite honours and validates its lists.

import { describe, expect, it } from 'vitest';
import { CpuBackend, cpuBackend, getBackend, tanh, tensor, type DType, type TypedArray } from '../../src/index.js';
import {
  KNOWN_FAILURES,
  allcloseMatchers,
  allcloseMessage,
  assertAllclose,
  defineOpSuite,
  expectAllclose,
  finiteDifferenceGradCheck,
  reference,
  uniformValues,
  type TestBody,
} from '../../src/testing/index.js';

async function messageOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('expectAllclose', () => {
  it('passes within tolerance and names index, actual and expected otherwise', async () => {
    await expectAllclose(tensor([1, 2, 3]), [1, 2.00001, 3]);
    const message = await messageOf(() => expectAllclose(tensor([[1, 2], [3, 4]]), [[1, 2], [3, 4.5]]));
    expect(message).toContain('1 of 4 elements differ');
    expect(message).toContain('[1, 1]');
    expect(message).toContain('actual 4');
    expect(message).toContain('expected 4.5');
  });
  it('checks shape and dtype of tensors', async () => {
    expect(await messageOf(() => expectAllclose(tensor([1, 2]), [[1, 2]]))).toContain('expected shape [1, 2], got [2]');
    expect(await messageOf(() => expectAllclose(tensor([1, 2]), [1, 2], { dtype: 'int32' }))).toContain('expected dtype int32, got float32');
  });
  it('matches NaN with NaN and infinities exactly', async () => {
    await expectAllclose([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity]);
    expect(allcloseMessage([NaN], [NaN], { equalNan: false })).not.toBeNull();
    expect(allcloseMessage([Infinity], [-Infinity])).not.toBeNull();
    expect(allcloseMessage([1e30], [Infinity])).not.toBeNull();
  });
  it('assertAllclose is synchronous and the vitest matcher reports the same message', () => {
    expect(() => assertAllclose([1, 2], [1, 3])).toThrow(/actual 2, expected 3/);
    const result = allcloseMatchers.toBeAllclose(tensor([1, 2]), [1, 3]);
    expect(result.pass).toBe(false);
    expect(result.message()).toContain('expected 3');
    expect(allcloseMatchers.toBeAllclose(new Float32Array([0.5]), [0.5]).pass).toBe(true);
  });
});

describe('finiteDifferenceGradCheck', () => {
  const input = [{ shape: [4], values: uniformValues(4, 1, -1.5, 1.5) }];
  it('accepts a correct gradient, with a float64 reference or by float32 differences', async () => {
    const withReference = await finiteDifferenceGradCheck(tanh, input, { reference: (x) => reference.map(x, Math.tanh) });
    expect(withReference.gradients[0]).toHaveLength(4);
    await finiteDifferenceGradCheck(tanh, input, { rtol: 1e-2, atol: 1e-3 });
  });
  it('rejects a wrong gradient: x·detach(x) has gradient x, not 2x', async () => {
    const message = await messageOf(() => finiteDifferenceGradCheck((x) => x.mul(x.detach()), input, { reference: (x) => reference.map(x, (v) => v * v) }));
    expect(message).toContain('gradient of input 0');
    expect(await messageOf(() => finiteDifferenceGradCheck((x) => x.mul(x.detach()), input, { rtol: 1e-2, atol: 1e-3 }))).toContain('gradient of input 0');
  });
  it('rejects a wrong forward value and a wrong shape', async () => {
    expect(await messageOf(() => finiteDifferenceGradCheck((x) => x.mul(2), input, { reference: (x) => reference.map(x, (v) => 2.001 * v) }))).toContain('forward');
    expect(await messageOf(() => finiteDifferenceGradCheck((x) => x.sum(), input, { reference: (x) => x }))).toContain('expected shape [4], got []');
  });
});

/** A fake runner: collects registrations so their bodies can be run and inspected. */
function collect() {
  const tests: { name: string; mode: 'run' | 'skip' | 'fails'; body: TestBody }[] = [];
  const it = Object.assign((name: string, body: TestBody) => void tests.push({ name, mode: 'run', body }), {
    skip: (name: string, body: TestBody) => void tests.push({ name, mode: 'skip', body }),
    fails: (name: string, body: TestBody) => void tests.push({ name, mode: 'fails', body }),
  });
  const describe = (_name: string, body: () => void) => body();
  return { tests, functions: { describe, it } };
}

describe('defineOpSuite', () => {
  it('skips listed tests and groups with their reason, and runs known failures as it.fails', () => {
    const { tests, functions } = collect();
    defineOpSuite({ backend: cpuBackend(), name: 'x', skip: { errors: 'no errors here', 'creation: eye: square and rectangular': 'no eye' } }, functions);
    expect(tests.filter((t) => t.mode === 'skip').length).toBeGreaterThan(3);
    expect(tests.find((t) => t.name.startsWith('eye: square'))?.name).toContain('[skipped: no eye]');
    expect(tests.filter((t) => t.mode === 'fails')).toHaveLength(Object.keys(KNOWN_FAILURES).length);
  });
  it('reports skip and known-failure entries that match no test', async () => {
    const { tests, functions } = collect();
    defineOpSuite({ backend: cpuBackend(), name: 'x', skip: { 'creation: no such test': 'stale' }, knownFailures: { 'nn: nor this one': 'stale' } }, functions);
    const check = tests.find((t) => t.name === 'every skip and known-failure entry matches a test')!;
    const message = await messageOf(check.body);
    expect(message).toContain("skip 'creation: no such test'");
    expect(message).toContain("knownFailures 'nn: nor this one'");
  });
  it('activates the backend under test for each test and restores the previous one', async () => {
    const { tests, functions } = collect();
    class CountingBackend extends CpuBackend {
      override readonly name = 'cpu-counting' as 'cpu'; // CpuBackend types its name as the literal 'cpu'
      uploads = 0;
      override upload(values: TypedArray, dtype: DType): TypedArray {
        this.uploads++;
        return super.upload(values, dtype);
      }
    }
    const backend = new CountingBackend();
    defineOpSuite({ backend: async () => backend, name: 'x' }, functions);
    await tests.find((t) => t.name === 'tensor from nested arrays infers shape and float32')!.body();
    expect(backend.uploads).toBeGreaterThan(0);
    expect(getBackend()).toBe(cpuBackend());
    expect(tensor([1]).backend).toBe(cpuBackend());
  });
});
