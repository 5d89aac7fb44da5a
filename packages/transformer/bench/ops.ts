// Dev micro-benchmark of the elementwise ops on the MLP's activation size (B·T·4C = 524,288).
import { randn, tidy, gelu, mul, add, sigmoid, tanh, pow, square, sub } from '@attune/tensor';
const x = randn([8, 128, 512]);
const y = randn([8, 128, 512]);
const time = (name: string, fn: () => unknown) => {
  for (let i = 0; i < 3; i++) tidy(() => { fn(); });
  const n = 20; const t0 = performance.now();
  for (let i = 0; i < n; i++) tidy(() => { fn(); });
  console.log(`${name.padEnd(28)} ${((performance.now() - t0) / n).toFixed(2)} ms`);
};
time('gelu tanh fwd', () => gelu(x, 'tanh'));
time('sigmoid', () => sigmoid(x));
time('tanh', () => tanh(x));
time('pow 3', () => pow(x, 3));
time('square', () => square(x));
time('mul same', () => mul(x, y));
time('add same', () => add(x, y));
time('mul scalar', () => mul(x, 0.5));
time('add scalar', () => add(x, 0.5));
time('sub same', () => sub(x, y));
time('add row bias (512)', () => add(x, randn([512])));
const xg = randn([8, 128, 512], { requiresGrad: true });
time('gelu tanh fwd+bwd', () => { const o = gelu(xg, 'tanh'); o.backward(y); xg.grad = null; });
time('x·sigmoid(2z) gelu fwd+bwd', () => {
  const c = Math.sqrt(2 / Math.PI) * 2;
  const z = mul(xg, add(mul(mul(xg, xg), c * 0.044715), c));
  const o = mul(xg, sigmoid(z)); o.backward(y); xg.grad = null;
});
