// The model on the WebGPU backend: the same weights give the same logits, the same greedy tokens and
// the same loss curve as on the CPU, and a checkpoint saved from the GPU loads on the CPU. Skipped
// with the reason when no adapter is present; fails instead when REQUIRE_WEBGPU=1 (CI with lavapipe).

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBackend, createWebGPUBackend, manualSeed, probeWebGPU, tensor, tidy, type Backend, type WebGPUBackend } from '@attune/tensor';
import { AdamW } from '@attune/nn';
import { GPT, generate, gptConfig, lmLoss, loadHuggingFaceStateDict, loadPretrained, savePretrained, toHuggingFaceStateDict } from '../src/index.js';

const probe = await probeWebGPU();
const required = process.env.REQUIRE_WEBGPU === '1';
let gpu: WebGPUBackend | null = null;
afterAll(() => gpu?.dispose());

const config = gptConfig('test', { blockSize: 24, initializerRange: 0.3 });

/** A CPU model and a copy of its weights on `backend`, through the Hugging Face state dict. */
async function pair(backend: Backend): Promise<[GPT, GPT]> {
  manualSeed(11);
  const cpu = new GPT(config, { backend: cpuBackend() });
  const other = new GPT(config, { backend });
  const dict = toHuggingFaceStateDict(cpu);
  const moved = Object.fromEntries(Object.entries(dict).map(([k, t]) => [k, tensor(t.dataSync(), { shape: t.shape, backend })]));
  loadHuggingFaceStateDict(other, moved);
  for (const t of [...Object.values(dict), ...Object.values(moved)]) t.dispose();
  return [cpu, other];
}

if (!probe.available) {
  if (required) it('finds a WebGPU adapter (REQUIRE_WEBGPU=1)', () => expect.fail(`WebGPU unavailable: ${probe.error.message}`));
  else it.skip(`WebGPU tests skipped: ${probe.error.message}`, () => {});
} else {
  describe('GPT on WebGPU', () => {
    it('computes the logits, greedy tokens and training losses of the CPU', async () => {
      gpu ??= await createWebGPUBackend();
      const [cpu, onGpu] = await pair(gpu);
      const ids = [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]];
      const a = tidy(() => cpu.forward(tensor(ids, { dtype: 'int32', backend: cpuBackend() })));
      const b = tidy(() => onGpu.forward(tensor(ids, { dtype: 'int32', backend: gpu! })));
      const [x, y] = [a.dataSync(), await b.data()];
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-4);
      a.dispose();
      b.dispose();

      const prompts = [[5, 9, 2], [30, 1, 1, 4, 4]];
      const greedyCpu = await generate(cpu, prompts, { maxNewTokens: 8, doSample: false });
      const greedyGpu = await generate(onGpu, prompts, { maxNewTokens: 8, doSample: false });
      expect(greedyGpu.tokens).toEqual(greedyCpu.tokens);
      for (const out of [greedyCpu, greedyGpu]) for (const t of [out.sequences, out.attentionMask, out.responses, out.responseMask, out.logProbs]) t.dispose();

      const losses = async (model: GPT, backend: Backend): Promise<number[]> => {
        const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
        const inputs = tensor(ids, { dtype: 'int32', backend });
        const targets = tensor(ids.map((r) => r.map((t) => (t + 1) % 37)), { dtype: 'int32', backend });
        const out: number[] = [];
        for (let step = 0; step < 4; step++) {
          const loss = tidy(() => {
            const l = lmLoss(model.forward(inputs), targets);
            optimizer.zeroGrad();
            l.backward();
            optimizer.step();
            return l;
          });
          out.push(await loss.item());
          loss.dispose();
        }
        optimizer.dispose();
        inputs.dispose();
        targets.dispose();
        return out;
      };
      const cpuLosses = await losses(cpu, cpuBackend());
      const gpuLosses = await losses(onGpu, gpu);
      gpuLosses.forEach((l, i) => expect(Math.abs(l - cpuLosses[i]) / cpuLosses[i]).toBeLessThan(1e-4));

      const dir = await mkdtemp(join(tmpdir(), 'attune-gpu-'));
      try {
        await savePretrained(onGpu, join(dir, 'checkpoint'));
        const loaded = await loadPretrained(join(dir, 'checkpoint'), { backend: cpuBackend() });
        const c = tidy(() => loaded.model.forward(tensor(ids, { dtype: 'int32', backend: cpuBackend() })));
        const d = tidy(() => cpu.forward(tensor(ids, { dtype: 'int32', backend: cpuBackend() })));
        const [p, q] = [c.dataSync(), d.dataSync()];
        for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-3); // after 4 steps on each backend
        c.dispose();
        d.dispose();
        loaded.model.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      cpu.dispose();
      onGpu.dispose();
    });
  });
}
