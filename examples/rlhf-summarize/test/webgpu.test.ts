// The recipe on WebGPU when an adapter is present (CI: lavapipe, with REQUIRE_WEBGPU=1 so a missing
// adapter fails): SFT stopped after 2 steps and resumed from its checkpoint on the GPU (the
// checkpoint is read on the CPU and uploaded), then the reward model and PPO.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeWebGPU } from '@attune/tensor';
import { runSummarize } from '../src/pipeline.js';
import { writeFixtures } from './fixtures.js';

const probe = await probeWebGPU();
const required = process.env.REQUIRE_WEBGPU === '1';

describe('rlhf-summarize on WebGPU', () => {
  it.skipIf(!probe.available && !required)('stops and resumes SFT, then trains the reward model and PPO, all on the GPU', async () => {
    if (!probe.available) throw new Error(`REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${probe.error.message}`);
    const dir = await mkdtemp(join(tmpdir(), 'rlhf-summarize-webgpu-'));
    try {
      const files = await writeFixtures(dir);
      const base = { ...files, out: join(dir, 'run'), quick: true, backend: 'webgpu' as const, quiet: true };
      const first = await runSummarize({ ...base, stages: ['sft'] }, { stopAfterSteps: { sft: 2 } });
      expect(first.backend).toMatch(/^webgpu/);
      expect(first.stages.sft).toMatchObject({ status: 'stopped', stepsThisRun: 2 });
      const second = await runSummarize(base);
      expect(second.stages.sft).toMatchObject({ status: 'finished', resumedFromStep: 2 });
      expect(second.stages.rm?.status).toBe('finished');
      expect(second.stages.ppo?.status).toBe('finished');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
