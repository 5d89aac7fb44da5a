// Dev micro-benchmark: the attention mask add, forward + backward, with the mask broadcast from
// (T, T) or materialised at the score shape (B, nh, T, T). Interleaved to share the machine's load.
import { add, expand, randn, tidy } from '@attune/tensor';
const scores = randn([8, 4, 128, 128], { requiresGrad: true });
const small = randn([128, 128]);
const full = expand(small, [8, 4, 128, 128]);
const g = randn([8, 4, 128, 128]);
const run = (mask: typeof small) => tidy(() => { add(scores, mask).backward(g); scores.grad = null; });
const times = { broadcast: [] as number[], full: [] as number[] };
for (let round = 0; round < 30; round++) {
  for (const [name, mask] of [['broadcast', small], ['full', full]] as const) {
    const t0 = performance.now();
    run(mask);
    times[name].push(performance.now() - t0);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
console.log(`mask add fwd+bwd on (8, 4, 128, 128): broadcast (T, T) ${median(times.broadcast).toFixed(2)} ms, full shape ${median(times.full).toFixed(2)} ms`);
