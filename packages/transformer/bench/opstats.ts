// Dev profiler: wraps every CPU backend method with a timer and prints where one training step of
// the tiny config spends its time, by kernel, op and size.
import { cpuBackend, manualSeed, tidy, crossEntropy, randint } from '@attune/tensor';
import { AdamW } from '@attune/nn';
import { GPT, gptConfig } from '../src/index.js';

const stats = new Map<string, { n: number; ms: number }>();
let on = false;
const backend = cpuBackend() as unknown as Record<string, unknown>;
const proto = Object.getPrototypeOf(backend);
for (const name of Object.getOwnPropertyNames(proto)) {
  const fn = backend[name];
  if (typeof fn !== 'function' || name === 'constructor') continue;
  backend[name] = function (this: unknown, ...args: unknown[]) {
    if (!on) return (fn as Function).apply(this, args);
    const t0 = performance.now();
    const out = (fn as Function).apply(this, args);
    const dt = performance.now() - t0;
    let key = name;
    if (name === 'unary' || name === 'binary') key += ':' + args[0];
    if (name === 'matmul') key += `:${args[2]}x${args[3]}x${args[4]}x${args[5]}${args[6] ? 'tA' : ''}${args[7] ? 'tB' : ''}`;
    else if (name === 'binary') key += ':' + JSON.stringify(args[2]) + (typeof args[3] === 'number' ? ' scalar' : JSON.stringify(args[4]));
    else if (name === 'reduce' || name === 'stridedCopy') key += ':' + JSON.stringify(args.slice(1, 5).map((a) => (typeof a === 'object' && a && 'length' in (a as object) && (a as ArrayLike<number>).length > 16 ? 'arr' : a)));
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++; s.ms += dt; stats.set(key, s);
    return out;
  };
}
manualSeed(0);
const model = new GPT(gptConfig('tiny'));
const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
const x = randint(0, 256, [8, 128]);
const y = randint(0, 256, [8, 128]);
const step = () => tidy(() => {
  const loss = crossEntropy(model.forward(x).reshape([-1, 256]), y.reshape([-1]));
  opt.zeroGrad();
  loss.backward();
  opt.step();
  return loss.itemSync();
});
for (let i = 0; i < 2; i++) step();
const n = 5;
on = true;
const t0 = performance.now();
for (let i = 0; i < n; i++) step();
const total = (performance.now() - t0) / n;
on = false;
let sum = 0;
const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
for (const [, s] of rows) sum += s.ms / n;
console.log(`step ${total.toFixed(1)} ms; in backend ${sum.toFixed(1)} ms; outside ${(total - sum).toFixed(1)} ms`);
for (const [k, s] of rows.slice(0, Number(process.argv[2] ?? 40))) console.log(`${(s.ms / n).toFixed(2).padStart(8)} ms ${String(s.n / n).padStart(5)}× ${k}`);
