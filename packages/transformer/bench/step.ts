// Dev profiler: times one training step of the tiny config and its pieces.
import { manualSeed, tensor, tidy, crossEntropy, randint } from '@attune/tensor';
import { AdamW } from '@attune/nn';
import { GPT, gptConfig } from '../src/index.js';

manualSeed(0);
const config = gptConfig('tiny');
const model = new GPT(config);
const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
const B = 8, T = 128;
const x = randint(0, 256, [B, T]);
const y = randint(0, 256, [B, T]);
const step = () => tidy(() => {
  const logits = model.forward(x);
  const loss = crossEntropy(logits.reshape([-1, 256]), y.reshape([-1]));
  opt.zeroGrad();
  loss.backward();
  opt.step();
  return loss.itemSync();
});
for (let i = 0; i < 2; i++) step();
const n = Number(process.argv[2] ?? 5);
const t0 = performance.now();
for (let i = 0; i < n; i++) step();
const ms = (performance.now() - t0) / n;
console.log(`step ${ms.toFixed(1)} ms, ${(B * T / ms * 1000).toFixed(0)} tokens/s`);
const f0 = performance.now();
for (let i = 0; i < n; i++) tidy(() => { model.forward(x); });
console.log(`forward only ${((performance.now() - f0) / n).toFixed(1)} ms`);
