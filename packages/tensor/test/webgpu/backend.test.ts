// WebGPU-specific behaviour the op suite does not reach: backend selection and its messages, moving
// tensors between backends, large shapes that take the kernels' other paths (chunked reductions,
// wide rows, tiled matmul edges, 2-D dispatch folding) checked against the CPU backend, device
// errors that name the op, the pipeline cache and GPU timestamps.

import { afterAll, describe, expect, it } from 'vitest';
import {
  Generator,
  WebGPUDeviceError,
  argmax,
  cpuBackend,
  createWebGPUBackend,
  cumsum,
  embedding,
  gather,
  getBackend,
  indexSelect,
  layerNorm,
  linear,
  logSoftmax,
  matmul,
  max,
  memory,
  oneHot,
  probeWebGPU,
  randint,
  randn,
  scatterAdd,
  setBackend,
  softmax,
  sum,
  tensor,
  useBackend,
  zeros,
  Tensor,
  type WebGPUBackend,
} from '../../src/index.js';
import { assertAllclose } from '../../src/testing/index.js';
import { webgpuBackend, withWebGPU } from './setup.js';

const cpu = cpuBackend();

/** Runs `fn` on the CPU and on WebGPU from the same host values and compares the results. */
async function sameAsCpu(fn: (...xs: Tensor[]) => Tensor, inputs: { shape: number[]; dtype?: 'float32' | 'int32'; low?: number; high?: number }[], tolerance = { rtol: 1e-5, atol: 1e-5 }): Promise<void> {
  const gpu = await webgpuBackend();
  const generator = new Generator(42);
  const hosts = inputs.map((spec) =>
    spec.dtype === 'int32' ? randint(spec.low ?? 0, spec.high ?? 10, spec.shape, { generator, backend: cpu }) : randn(spec.shape, { generator, backend: cpu }),
  );
  const expected = fn(...hosts);
  const moved = await Promise.all(hosts.map((h) => h.to(gpu)));
  const actual = fn(...moved);
  expect(actual.backend).toBe(gpu);
  expect(actual.shape).toEqual(expected.shape);
  assertAllclose(await actual.data(), await expected.data(), tolerance);
  for (const t of [...hosts, ...moved, expected, actual]) t.dispose();
}

withWebGPU(() => {
  describe('selection', () => {
    const created: WebGPUBackend[] = [];
    afterAll(() => {
      setBackend('cpu');
      for (const backend of created) backend.dispose();
    });

    it('probeWebGPU finds the adapter', async () => {
      const probe = await probeWebGPU();
      expect(probe.available).toBe(true);
      if (probe.available) expect(probe.adapter.description.length).toBeGreaterThan(0);
    });

    it("useBackend('webgpu') activates it and names the adapter; 'auto' skips software adapters unless allowed; 'cpu' is the CPU", async () => {
      const logged: string[] = [];
      const choice = await useBackend('webgpu', { log: (m) => logged.push(m) });
      created.push(choice.backend as WebGPUBackend);
      expect(getBackend()).toBe(choice.backend);
      expect(choice.adapter).not.toBeNull();
      expect(choice.message).toContain(choice.adapter!.description);
      expect(logged).toEqual([choice.message]);
      expect(await useBackend('webgpu')).toMatchObject({ backend: choice.backend }); // created once

      const auto = await useBackend('auto');
      if (choice.adapter!.isFallbackAdapter) {
        expect(auto.backend).toBe(cpu);
        expect(auto.message).toMatch(/software/);
        expect((await useBackend('auto', { allowFallbackAdapter: true })).backend).toBe(choice.backend);
      } else {
        expect(auto.backend).toBe(choice.backend);
      }
      expect((await useBackend('cpu')).backend).toBe(cpu);
      expect(getBackend()).toBe(cpu);
    });

    it('adapterName that matches nothing lists the adapters found', async () => {
      await expect(createWebGPUBackend({ adapterName: 'no-such-gpu-anywhere' })).rejects.toThrow(/no adapter matching 'no-such-gpu-anywhere' \(available: '/);
    });
  });

  describe('moving tensors', () => {
    it('to() moves float32, int32 and bool both ways; leaves keep requiresGrad; same backend shares storage', async () => {
      const gpu = await webgpuBackend();
      const f = tensor([[1.5, -2], [3, 4.25]], { requiresGrad: true });
      const i = tensor([7, -8, 2147483647], { dtype: 'int32' });
      const b = tensor([true, false, true]);
      const [fg, ig, bg] = await Promise.all([f.to(gpu), i.to(gpu), b.to(gpu)]);
      expect([fg.backend, ig.backend, bg.backend]).toEqual([gpu, gpu, gpu]);
      expect(fg.requiresGrad && fg.isLeaf).toBe(true);
      expect(Array.from(await ig.data())).toEqual([7, -8, 2147483647]);
      expect(await bg.data()).toEqual(new Uint8Array([1, 0, 1]));
      const back = await fg.mul(2).to('cpu');
      expect(back.requiresGrad).toBe(false);
      expect(Array.from(back.dataSync())).toEqual([3, -4, 6, 8.5]);
      const buffers = memory().numBuffers;
      const same = await fg.to(gpu);
      expect(memory().numBuffers).toBe(buffers);
      fg.dispose();
      expect(Array.from(await same.data())).toEqual([1.5, -2, 3, 4.25]);
      for (const t of [f, i, b, ig, bg, back, same]) t.dispose();
    });

    it('bool tensors take 4 bytes per element on the GPU (WGSL has no 8-bit storage)', async () => {
      const gpu = await webgpuBackend();
      const before = memory().numBytes;
      const x = zeros([10], { dtype: 'bool', backend: gpu });
      expect(memory().numBytes - before).toBe(40);
      x.dispose();
    });
  });

  describe('large shapes against the CPU backend', () => {
    it('sum/max over a million elements (two-pass chunked reduction) and over a long middle axis', async () => {
      await sameAsCpu((x) => sum(x), [{ shape: [1 << 20] }], { rtol: 1e-4, atol: 1e-2 });
      await sameAsCpu((x) => max(x), [{ shape: [1 << 20] }]);
      await sameAsCpu((x) => sum(x, 1), [{ shape: [2, 5000, 3] }], { rtol: 1e-4, atol: 1e-3 });
      await sameAsCpu((x) => x.min(0), [{ shape: [6000, 2] }]);
    });

    it('argmax over a vocabulary-sized row and cumsum along a long axis', async () => {
      await sameAsCpu((x) => argmax(x, 1), [{ shape: [4, 50257] }], { rtol: 0, atol: 0 });
      await sameAsCpu((x) => cumsum(x, 0), [{ shape: [3000, 2] }], { rtol: 1e-4, atol: 1e-3 });
    });

    it('softmax/logSoftmax of wide rows and of many short rows', async () => {
      await sameAsCpu((x) => softmax(x, -1), [{ shape: [3, 5000] }], { rtol: 1e-4, atol: 1e-7 });
      await sameAsCpu((x) => logSoftmax(x, -1), [{ shape: [3, 5000] }], { rtol: 1e-5, atol: 1e-5 });
      await sameAsCpu((x) => softmax(x, -1), [{ shape: [4000, 3] }]);
    });

    it('layerNorm forward and backward with many rows (chunked weight/bias gradients)', async () => {
      const gpu = await webgpuBackend();
      const generator = new Generator(5);
      const values = randn([2048, 64], { generator, backend: cpu });
      const weight = randn([64], { generator, backend: cpu });
      const bias = randn([64], { generator, backend: cpu });
      const run = async (backend: 'cpu' | WebGPUBackend) => {
        const [x, w, b] = await Promise.all([values, weight, bias].map((t) => t.to(backend)));
        x.requiresGrad = true;
        w.requiresGrad = true;
        b.requiresGrad = true;
        const out = layerNorm(x, [64], w, b);
        out.mul(out).sum().backward();
        const result = await Promise.all([out, x.grad!, w.grad!, b.grad!].map((t) => t.data()));
        for (const t of [x, w, b, out]) t.dispose();
        return result;
      };
      const [expected, actual] = [await run('cpu'), await run(gpu)];
      actual.forEach((values, i) => assertAllclose(values, expected[i], { rtol: 1e-4, atol: 1e-3, label: ['out', 'dx', 'dweight', 'dbias'][i] }));
      for (const t of [values, weight, bias]) t.dispose();
    });

    it("the other matmul kernel ('tiled' here when 'auto' picks 'subgroup', and vice versa) matches the CPU", async () => {
      const gpu = await webgpuBackend();
      const usesSubgroup = gpu.adapter.isFallbackAdapter && gpu.adapter.features.includes('subgroups') && gpu.adapter.subgroupMinSize === gpu.adapter.subgroupMaxSize;
      const other = await createWebGPUBackend({ matmulKernel: usesSubgroup ? 'tiled' : gpu.adapter.features.includes('subgroups') && gpu.adapter.subgroupMinSize === gpu.adapter.subgroupMaxSize ? 'subgroup' : 'tiled', name: 'webgpu-other-matmul' });
      try {
        const generator = new Generator(8);
        for (const [batch, m, k, n, transA, transB] of [[1, 131, 257, 67, false, false], [1, 131, 257, 67, true, false], [1, 131, 257, 67, false, true], [1, 131, 257, 67, true, true], [3, 70, 40, 90, false, false], [1, 1, 200, 300, false, false], [2, 5, 3, 7, true, true]] as const) {
          const a = randn(transA ? [batch, k, m] : [batch, m, k], { generator, backend: cpu });
          const b = randn(transB ? [batch, n, k] : [batch, k, n], { generator, backend: cpu });
          const expected = matmul(transA ? a.mT : a, transB ? b.mT : b);
          const [ga, gb] = await Promise.all([a.to(other), b.to(other)]);
          const actual = matmul(transA ? ga.mT : ga, transB ? gb.mT : gb);
          assertAllclose(await actual.data(), await expected.data(), { rtol: 1e-4, atol: 1e-4, label: `${batch}×${m}×${k}×${n} ${transA}/${transB}` });
          for (const t of [a, b, expected, ga, gb, actual]) t.dispose();
        }
      } finally {
        other.dispose();
      }
    });

    it('a user-given matmulTiling (each shape the benchmark tuner sweeps) matches the CPU; an impossible one is refused by name', async () => {
      const gpu = await webgpuBackend();
      const generator = new Generator(9);
      const a = randn([2, 131, 70], { generator, backend: cpu });
      const b = randn([2, 70, 67], { generator, backend: cpu });
      const expected = await matmul(a, b).data();
      const expectedT = await matmul(a, b.mT.contiguous().mT).data();
      for (const [tileM, tileN, tileK, blockM, blockN] of [[64, 64, 32, 4, 4], [128, 64, 16, 8, 4], [64, 128, 16, 4, 8], [128, 128, 8, 8, 8], [128, 128, 16, 8, 4], [64, 64, 16, 8, 8]] as const) {
        const tiled = await createWebGPUBackend({ matmulTiling: { tileM, tileN, tileK, blockM, blockN }, name: `webgpu-tiling-${tileM}-${tileN}-${tileK}-${blockM}-${blockN}` });
        try {
          const [ga, gb] = await Promise.all([a.to(tiled), b.to(tiled)]);
          assertAllclose(await matmul(ga, gb).data(), expected, { rtol: 1e-4, atol: 1e-4, label: `${tileM}x${tileN}x${tileK}x${blockM}x${blockN}` });
          assertAllclose(await matmul(ga, gb.mT.contiguous().mT).data(), expectedT, { rtol: 1e-4, atol: 1e-4, label: `${tileM}x${tileN}x${tileK}x${blockM}x${blockN} transposed B` });
        } finally {
          tiled.dispose();
        }
      }
      const tooMany = gpu.adapter.limits.maxComputeInvocationsPerWorkgroup * 4;
      await expect(createWebGPUBackend({ matmulTiling: { tileM: tooMany, tileN: 4, tileK: 4, blockM: 1, blockN: 1 }, name: 'webgpu-bad-tiling' })).rejects.toThrow(/matmulTiling .* needs \d+ threads per workgroup; the adapter allows/);
      await expect(createWebGPUBackend({ matmulTiling: { tileM: 64, tileN: 64, tileK: 16, blockM: 3, blockN: 4 }, name: 'webgpu-bad-tiling' })).rejects.toThrow(/tileM must be a multiple of blockM/);
      a.dispose();
      b.dispose();
    });

    it('the vec4 matmul kernel (vec4 or scalar staging per operand, every transpose, broadcast batch, k = 0) matches the CPU', async () => {
      // The backend's own matmul entry point, so the transposed layouts that gradients use are reached directly.
      type RawMatmul = (a: unknown, b: unknown, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aStride: number, bStride: number) => unknown;
      const generator = new Generator(23);
      const keys = new Set<string>();
      for (const tiling of [{ tileM: 64, tileN: 64, tileK: 16, blockM: 4, blockN: 4 }, { tileM: 128, tileN: 128, tileK: 8, blockM: 8, blockN: 8 }, { tileM: 128, tileN: 64, tileK: 8, blockM: 8, blockN: 4 }]) {
        const gpu = await createWebGPUBackend({ matmulTiling: tiling, name: `webgpu-vec4-${tiling.tileM}-${tiling.tileN}`, onShader: (key) => keys.add(key) });
        (gpu as unknown as { setMatmulTilings(t: typeof tiling): void }).setMatmulTilings(tiling); // every product on this tiling, small ones too
        try {
          for (const [batch, m, k, n] of [[1, 131, 70, 67], [2, 64, 128, 256], [1, 200, 12, 4], [2, 4, 0, 8]] as const) {
            for (const transA of [false, true]) for (const transB of [false, true]) {
              const broadcast = batch > 1 && transB;
              const a = randn([batch, ...(transA ? [k, m] : [m, k])], { generator, backend: cpu });
              const b = randn([broadcast ? 1 : batch, ...(transB ? [n, k] : [k, n])], { generator, backend: cpu });
              const strides = [m * k, broadcast ? 0 : k * n] as const;
              const product = (backend: typeof cpu | WebGPUBackend, x: Tensor, y: Tensor) =>
                Tensor.fromStorage(backend, (backend.matmul as RawMatmul).call(backend, x.storage, y.storage, batch, m, k, n, transA, transB, ...strides), [batch, m, n], 'float32');
              const expected = product(cpu, a, b);
              const [ga, gb] = await Promise.all([a.to(gpu), b.to(gpu)]);
              const actual = product(gpu, ga, gb);
              assertAllclose(await actual.data(), await expected.data(), { rtol: 1e-4, atol: 1e-4, label: `${JSON.stringify(tiling)} ${batch}×${m}×${k}×${n} ${transA}/${transB}` });
              for (const t of [a, b, expected, ga, gb, actual]) t.dispose();
            }
          }
        } finally {
          gpu.dispose();
        }
      }
      // Both staging forms and every operand layout were compiled.
      for (const layout of ['k4_x4', 'x4_k4', 'k1_x1', 'x1_k1']) expect([...keys].some((key) => key.startsWith(`matmulVec4_${layout}`)), layout).toBe(true);
    });

    it('linear adds its bias as the product is written (one kernel), on every matmul kernel, forward and backward', async () => {
      const generator = new Generator(31);
      const kernels: { label: string; options: Parameters<typeof createWebGPUBackend>[0] }[] = [
        { label: 'default', options: {} },
        { label: 'tiled vec4', options: { matmulKernel: 'tiled', matmulTiling: { tileM: 64, tileN: 64, tileK: 16, blockM: 4, blockN: 4 } } },
        { label: 'tiled scalar', options: { matmulKernel: 'tiled', matmulTiling: { tileM: 32, tileN: 32, tileK: 16, blockM: 2, blockN: 2, vectorized: false } } },
      ];
      for (const { label, options } of kernels) {
        const keys = new Set<string>();
        const gpu = await createWebGPUBackend({ ...options, name: `webgpu-linear-${label}`, onShader: (key) => keys.add(key) });
        // Every product on the given tiling, small ones too.
        if (options?.matmulTiling) (gpu as unknown as { setMatmulTilings(t: object): void }).setMatmulTilings(options.matmulTiling);
        try {
          for (const [lead, inFeatures, outFeatures] of [[[70], 33, 24], [[3, 50], 64, 67], [[1], 8, 4]] as const) {
            const x = randn([...lead, inFeatures], { generator, backend: cpu });
            const w = randn([outFeatures, inFeatures], { generator, backend: cpu });
            const b = randn([outFeatures], { generator, backend: cpu });
            const dy = randn([...lead, outFeatures], { generator, backend: cpu });
            const run = async (backend: typeof cpu | WebGPUBackend) => {
              const [xs, ws, bs, g] = await Promise.all([x, w, b, dy].map((t) => t.to(backend)));
              for (const leaf of [xs, ws, bs]) leaf.requiresGrad_();
              if (backend === gpu) {
                await gpu.sync();
                gpu.startProfile();
              }
              const y = linear(xs, ws, bs);
              if (backend === gpu) expect((await gpu.stopProfile()).map((t) => t.op), `${label}: one kernel, the bias inside the product`).toEqual(['linear']);
              y.mul(g).sum().backward();
              return Promise.all([y, xs.grad!, ws.grad!, bs.grad!].map((t) => t.data()));
            };
            const expected = await run(cpu);
            const actual = await run(gpu);
            expected.forEach((values, i) => assertAllclose(actual[i], values, { rtol: 1e-4, atol: 1e-4, label: `${label} ${[...lead, inFeatures]}→${outFeatures} output ${i}` }));
          }
          const vec4Biased = [...keys].filter((key) => key.startsWith('matmulVec4') && key.endsWith('_bias'));
          if (label === 'tiled vec4') for (const store of ['_c4_', '_c1_']) expect(vec4Biased.some((key) => key.includes(store)), `vec4 kernel, C stored as ${store}`).toBe(true);
          if (label === 'tiled scalar') expect([...keys].some((key) => key.startsWith('matmul_NT') && key.endsWith('_bias'))).toBe(true);
        } finally {
          gpu.dispose();
        }
      }
    });

    it("matmulPrecision 'high' stages the vec4 kernel's tiles as f16 where the adapter has shader-f16: errors of f16 operand rounding, not more", async () => {
      const gpu = await webgpuBackend();
      if (!gpu.adapter.features.includes('shader-f16')) {
        const plain = await createWebGPUBackend({ matmulPrecision: 'high', name: 'webgpu-no-f16' });
        expect(plain.matmulF16).toBe(false); // f32 without the feature
        plain.dispose();
        return;
      }
      const tiling = { tileM: 64, tileN: 64, tileK: 16, blockM: 4, blockN: 4 };
      const keys = new Set<string>();
      const half = await createWebGPUBackend({ matmulKernel: 'tiled', matmulTiling: tiling, matmulPrecision: 'high', name: 'webgpu-f16', onShader: (key) => keys.add(key) });
      (half as unknown as { setMatmulTilings(t: object): void }).setMatmulTilings(tiling);
      try {
        expect(half.matmulF16).toBe(true);
        expect(gpu.matmulF16).toBe(false); // the default is f32
        if ((gpu as unknown as { subgroupTiling: unknown }).subgroupTiling) {
          const subgroup = await createWebGPUBackend({ matmulPrecision: 'high', name: 'webgpu-f16-subgroup' });
          expect(subgroup.matmulF16, 'the subgroup kernel stays f32').toBe(false);
          subgroup.dispose();
        }
        const generator = new Generator(37);
        for (const [m, k, n] of [[128, 256, 64], [70, 33, 67]] as const) {
          const a = randn([m, k], { generator, backend: cpu });
          const b = randn([k, n], { generator, backend: cpu });
          const exact = await matmul(a, b).data();
          const [ha, hb] = await Promise.all([a.to(half), b.to(half)]);
          const got = await matmul(ha, hb).data();
          // Each product a·b carries at most 2·2⁻¹¹ relative error from rounding a and b; the sum of
          // k of them at most that times Σ|a||b|. Bound it by k·|a|max·|b|max·2⁻¹⁰.
          const [amax, bmax] = [await a.abs().max().item(), await b.abs().max().item()];
          const bound = k * amax * bmax * 2 ** -10;
          let worst = 0;
          for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(got[i] - exact[i]));
          expect(worst, `${m}×${k}×${n}`).toBeLessThan(bound);
          expect(worst, `${m}×${k}×${n}: the operands really were rounded`).toBeGreaterThan(1e-5);
          for (const t of [a, b, ha, hb]) t.dispose();
        }
        expect([...keys].some((key) => key.startsWith('matmulVec4') && key.endsWith('_f16'))).toBe(true);
      } finally {
        half.dispose();
      }
      await expect(createWebGPUBackend({ matmulPrecision: 'medium' as 'high', name: 'webgpu-bad-precision' })).rejects.toThrow(/matmulPrecision must be 'highest' or 'high', got medium/);
    });

    it("rowKernel 'vector' (rows in registers) matches the CPU for softmax, logSoftmax and layerNorm, forward and backward, with and without subgroups", async () => {
      const keys = new Set<string>();
      const gpu = await createWebGPUBackend({ rowKernel: 'vector', name: 'webgpu-vector-rows', onShader: (key) => keys.add(key) });
      const internals = gpu as unknown as { rowVectorsPerThread: number; rowPolicy: { subgroupSize: number } };
      const subgroupSize = internals.rowPolicy.subgroupSize;
      try {
        for (const [vectors, subgroups] of [[4, true], [2, false]] as const) {
          internals.rowVectorsPerThread = vectors;
          internals.rowPolicy = { ...internals.rowPolicy, subgroupSize: subgroups ? subgroupSize : 0 }; // the workgroup-memory tree
          for (const [rows, cols] of [[3, 12], [65, 768], [3, 1028], [65, 4096], [5, 6]] as const) {
            for (const op of ['softmax', 'logSoftmax', 'layerNorm', 'layerNorm without affine'] as const) {
              const run = async (backend: typeof cpu | WebGPUBackend) => {
                const generator = new Generator(rows * 7919 + cols);
                const leaf = async (shape: number[], scale = 1) => (await randn(shape, { generator, backend: cpu }).mul(scale).to(backend)).requiresGrad_();
                const [x, w, b] = [await leaf([rows, cols], 3), await leaf([cols]), await leaf([cols])];
                const dy = await randn([rows, cols], { generator, backend: cpu }).to(backend);
                const y = op === 'softmax' ? softmax(x, -1) : op === 'logSoftmax' ? logSoftmax(x, -1) : op === 'layerNorm' ? layerNorm(x, [cols], w, b) : layerNorm(x, [cols]);
                y.mul(dy).sum().backward();
                const results = [await y.data(), await x.grad!.data(), ...(op === 'layerNorm' ? [await w.grad!.data(), await b.grad!.data()] : [])];
                for (const t of [x, w, b, dy, y]) t.dispose();
                return results;
              };
              const [expected, actual] = [await run(cpu), await run(gpu)];
              expected.forEach((values, i) => assertAllclose(actual[i], values, { rtol: 1e-4, atol: 1e-5, label: `${op} ${rows}×${cols}, ${vectors} vec4s, subgroups ${subgroups}, output ${i}` }));
            }
          }
        }
      } finally {
        gpu.dispose();
      }
      for (const kernel of ['softmaxVec4', 'logSoftmaxVec4', 'softmaxBackwardVec4', 'logSoftmaxBackwardVec4', 'layerNormVec4', 'layerNormBackwardVec4']) expect([...keys].some((key) => key.startsWith(kernel)), kernel).toBe(true);
      await expect(createWebGPUBackend({ rowKernel: 'fast' as 'vector', name: 'webgpu-bad-rows' })).rejects.toThrow(/rowKernel must be 'auto', 'scalar' or 'vector', got fast/);
    });

    it('matmul at odd sizes with every transpose combination and a broadcast batch', async () => {
      const tolerance = { rtol: 1e-4, atol: 1e-4 };
      await sameAsCpu((a, b) => matmul(a, b), [{ shape: [131, 257] }, { shape: [257, 67] }], tolerance);
      await sameAsCpu((a, b) => matmul(a.mT, b), [{ shape: [257, 131] }, { shape: [257, 67] }], tolerance);
      await sameAsCpu((a, b) => matmul(a, b.mT), [{ shape: [131, 257] }, { shape: [67, 257] }], tolerance);
      await sameAsCpu((a, b) => matmul(a.mT, b.mT), [{ shape: [257, 131] }, { shape: [67, 257] }], tolerance);
      await sameAsCpu((a, b) => matmul(a, b), [{ shape: [3, 70, 40] }, { shape: [40, 90] }], tolerance);
      await sameAsCpu((a, b) => matmul(a, b), [{ shape: [1, 200] }, { shape: [200, 300] }], tolerance);
    });

    it('embedding gradient over 512 tokens and scatterAdd / gather / indexSelect with larger shapes', async () => {
      const gpu = await webgpuBackend();
      const generator = new Generator(6);
      const tokens = randint(0, 1000, [512], { generator, backend: cpu });
      const weight = randn([1000, 32], { generator, backend: cpu });
      const grads = [];
      for (const backend of [cpu, gpu]) {
        const [t, w] = await Promise.all([tokens.to(backend), weight.to(backend)]);
        w.requiresGrad = true;
        embedding(t, w).mul(w.sum()).sum().backward();
        grads.push(await w.grad!.data());
        t.dispose();
        w.dispose();
      }
      assertAllclose(grads[1], grads[0], { rtol: 1e-4, atol: 1e-3 });
      tokens.dispose();
      weight.dispose();
      await sameAsCpu((x, index, src) => scatterAdd(x, 1, index, src), [{ shape: [16, 300] }, { shape: [16, 900], dtype: 'int32', high: 300 }, { shape: [16, 900] }], { rtol: 1e-4, atol: 1e-4 });
      await sameAsCpu((x, index) => gather(x, 1, index), [{ shape: [64, 300] }, { shape: [64, 20], dtype: 'int32', high: 300 }]);
      await sameAsCpu((x, index) => indexSelect(x, 0, index), [{ shape: [500, 33] }, { shape: [700], dtype: 'int32', high: 500 }]);
    });

    it('permutes of 4-D tensors and an elementwise op past 65,535 workgroups (2-D dispatch)', async () => {
      await sameAsCpu((x) => x.permute(2, 0, 3, 1).add(1), [{ shape: [5, 6, 7, 8] }]);
      await sameAsCpu((x, y) => x.mul(y.reshape([1, -1])), [{ shape: [30, 10] }, { shape: [10] }]);
      const gpu = await webgpuBackend();
      const n = 65536 * 256 + 1000;
      const x = zeros([n], { backend: gpu }).add(1.5);
      const values = await x.data();
      expect(values[0]).toBe(1.5);
      expect(values[n - 1]).toBe(1.5);
      expect(values.every((v) => v === 1.5)).toBe(true);
      x.dispose();
    });
  });

  describe('GPU-side semantics', () => {
    it('oneHot with an explicit numClasses; out-of-range gather indices read 0 (ranges are checked on synchronous backends only)', async () => {
      const gpu = await webgpuBackend();
      const classes = tensor([2, 0], { dtype: 'int32', backend: gpu });
      expect(Array.from(await oneHot(classes, 3).data())).toEqual([0, 0, 1, 1, 0, 0]);
      const x = tensor([[1, 2, 3]], { backend: gpu });
      expect(Array.from(await gather(x, 1, tensor([[2, 5]], { dtype: 'int32', backend: gpu })).data())).toEqual([3, 0]);
    });

    it('kernels compile once per shader key and readbacks are counted', async () => {
      const gpu = await webgpuBackend();
      const a = randn([8, 8], { backend: gpu });
      matmul(a, a).add(1).dispose();
      const pipelines = gpu.pipelineCount;
      const readbacks = gpu.readbacks;
      const out = matmul(a, a).add(1);
      expect(gpu.pipelineCount).toBe(pipelines);
      expect(gpu.readbacks).toBe(readbacks);
      await out.data();
      expect(gpu.readbacks).toBe(readbacks + 1);
      a.dispose();
      out.dispose();
    });

    it('profiles kernels with GPU timestamps when the adapter has timestamp-query', async () => {
      const gpu = await webgpuBackend();
      if (!gpu.canProfile) return;
      const a = randn([128, 128], { backend: gpu });
      gpu.startProfile();
      const out = matmul(a, a).relu();
      const timings = await gpu.stopProfile();
      expect(timings.map((t) => t.op)).toEqual(['matmul', 'relu']);
      expect(timings.every((t) => t.ms >= 0)).toBe(true);
      a.dispose();
      out.dispose();
    });
  });

  describe('device errors', () => {
    it('a result larger than a storage binding fails at once, naming the op and the limit', async () => {
      const gpu = await webgpuBackend();
      const limit = gpu.adapter.limits.maxStorageBufferBindingSize;
      expect(() => zeros([limit / 4 + 1], { backend: gpu })).toThrow(/fill.*maxStorageBufferBindingSize/);
    });

    it('a validation error surfaces as a WebGPUDeviceError naming the op, at the next read and every call after', async () => {
      const gpu = await createWebGPUBackend({ debug: true, name: 'webgpu-errors' });
      try {
        const x = tensor([1, 2], { backend: gpu });
        // A kernel whose shader does not compile, dispatched through the backend's own path.
        const broken = {
          op: 'brokenOp', key: 'test_broken', inputs: [], outputs: [{ name: 'out', type: 'f32' as const }], uniforms: [], uniformValues: [],
          workgroupSize: [1, 1, 1] as const, dispatch: [1, 1, 1] as [number, number, number],
          main: () => '@compute @workgroup_size(1) fn main() { out[0] = undefinedThing; }',
        };
        (gpu as unknown as { run(p: unknown, i: unknown[], o: unknown[]): void }).run(broken, [], [x.storage]);
        const failure = await x.data().then(() => null, (error: unknown) => error);
        expect(failure).toBeInstanceOf(WebGPUDeviceError);
        expect((failure as Error).message).toMatch(/brokenOp/);
        expect(() => x.add(1)).toThrow(/webgpu: add: an earlier device error/);
      } finally {
        gpu.dispose();
      }
    });

    it('a lost device makes every later call throw, naming the op', async () => {
      const gpu = await createWebGPUBackend({ name: 'webgpu-lost' });
      const x = tensor([1, 2], { backend: gpu });
      const device = (gpu as unknown as { device: { destroy(): void; lost: Promise<unknown> } }).device;
      device.destroy();
      await device.lost;
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(() => x.add(1)).toThrow(/webgpu: add: .*device was lost/);
      gpu.dispose();
    });
  });
});
