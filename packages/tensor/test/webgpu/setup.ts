// Shared by the WebGPU test files: finds an adapter once per file and decides what happens without
// one. Tests skip with the reason when no adapter is present, and FAIL when REQUIRE_WEBGPU=1 (CI
// installs Mesa's lavapipe so that the suite always runs there).

import { afterAll, it } from 'vitest';
import { createWebGPUBackend, describeAdapter, probeWebGPU, type WebGPUBackend } from '../../src/index.js';

/** True when CI demands a WebGPU adapter. */
export const webgpuRequired = process.env.REQUIRE_WEBGPU === '1';

const probe = await probeWebGPU();

/** Why WebGPU tests cannot run here, or null when an adapter is available. */
export const unavailableReason: string | null = probe.available ? null : probe.error.message;

/** A one-line description of the adapter the tests run on. */
export const adapterLabel = probe.available ? describeAdapter(probe.adapter) : 'no adapter';

let backend: Promise<WebGPUBackend> | null = null;

/** The file's WebGPU backend, created on first use and destroyed after the file's tests. */
export function webgpuBackend(): Promise<WebGPUBackend> {
  if (!backend) {
    backend = createWebGPUBackend();
    afterAll(async () => (await backend!).dispose());
  }
  return backend;
}

/**
 * Registers `body` (the file's tests) when an adapter is available. Otherwise registers one test
 * that is skipped with the reason, or that fails when REQUIRE_WEBGPU=1.
 */
export function withWebGPU(body: () => void): void {
  if (!unavailableReason) {
    body();
    return;
  }
  if (webgpuRequired) {
    it('finds a WebGPU adapter (REQUIRE_WEBGPU=1)', () => {
      throw new Error(`REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${unavailableReason}`);
    });
  } else {
    it.skip(`WebGPU tests skipped: ${unavailableReason}`, () => {});
  }
}
