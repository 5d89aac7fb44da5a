// Run by resident.test.ts with --expose-gc: creates tensors whose storage is resident and drops
// them without dispose, then collects garbage until the finalizers have given every block back.
// Prints { held, after } as JSON: resident bytes while the tensors lived and after collection.

import { tensor } from '../../src';
import { wasmKernels } from '../../src/backends/cpu/wasm';

const kernels = wasmKernels()!;
const gc = (globalThis as { gc?: () => void }).gc!;

function leak(): number {
  const tensors = Array.from({ length: 64 }, () => tensor(new Float32Array(4096)));
  const held = kernels.residentBytes;
  tensors.length = 0;
  return held;
}

const held = leak();
let after = kernels.residentBytes;
for (let attempt = 0; attempt < 50 && after > 0; attempt++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
  after = kernels.residentBytes;
}
console.log(JSON.stringify({ held, after }));
