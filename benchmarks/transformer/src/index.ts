// Training-throughput benchmark of @attune/transformer: tokens/s of full AdamW steps (forward, loss,
// backward, update, loss read back) on the tiny GPT-2 (4 layers, 4 heads, 128 wide, vocab 256,
// T = 128, B = 8), against the same model in TensorFlow.js on its wasm backend, in one run.
// Each library runs in its own child process; they are started first, then measured in rounds with
// the order rotated, so load from other processes on a shared machine falls on both alike.
// Prints a table, the ratio against the issue's bar (≥ 20× tfjs-wasm) and the first losses of both
// (same weights and batches, so they must agree), and writes JSON under benchmarks/results/.
//
//   npm run bench --workspace @attune/benchmark-transformer            # ~1.5 min on 2 cores
//   npm run bench --workspace @attune/benchmark-transformer -- --quick # one round (~40 s)
//   npm run bench --workspace @attune/benchmark-transformer -- --webgpu # adds Attune on WebGPU, side by side
//   npm run bench --workspace @attune/benchmark-transformer -- --plain-simd   # Attune without fused multiply-add

import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOKENS_PER_STEP, type Peer, type PeerInfo } from './workload.js';

const PEERS = {
  attune: async (): Promise<Peer> => (await import('./peers/attune.js')).createAttunePeer(),
  'tfjs-wasm': async (): Promise<Peer> => (await import('./peers/tfjs.js')).createTfjsPeer(),
  'attune-webgpu': async (): Promise<Peer> => (await import('./peers/attune.js')).createAttunePeer({ webgpu: true }),
};
type PeerId = keyof typeof PEERS;

/**
 * Steps per round, per peer (about 2-4 s of work each), and warm-up steps, run by every peer in an
 * untimed round before the timed ones. Attune's warm-up covers its CPU backend's calibration: each
 * job shape large enough to split across threads alternates split and single-thread runs until it
 * has three timings of each way (about six steps).
 */
const PLAN: Record<PeerId, { warmup: number; steps: number }> = {
  attune: { warmup: 10, steps: 10 },
  'tfjs-wasm': { warmup: 1, steps: 2 },
  'attune-webgpu': { warmup: 3, steps: 10 },
};
const TARGET_RATIO = 20;

type ToChild = { type: 'steps'; count: number; warmup: number } | { type: 'exit' };
type FromChild = { type: 'info'; info: PeerInfo } | { type: 'steps'; ms: number[]; losses: number[] } | { type: 'error'; message: string };

// ---- child ----------------------------------------------------------------------------------

async function runChild(id: PeerId): Promise<void> {
  const send = (m: FromChild) => new Promise<void>((resolve) => process.send!(m, undefined, {}, () => resolve()));
  let peer: Peer;
  try {
    peer = await PEERS[id]();
    await send({ type: 'info', info: await peer.init() });
  } catch (error) {
    await send({ type: 'error', message: String((error as Error).stack ?? error) });
    process.exit(0);
  }
  let index = 0;
  process.on('message', async (m: ToChild) => {
    if (m.type === 'exit') process.exit(0);
    try {
      const ms: number[] = [];
      const losses: number[] = [];
      for (let i = 0; i < m.warmup + m.count; i++) {
        const t0 = performance.now();
        const loss = await peer.step(index++);
        const dt = performance.now() - t0;
        losses.push(loss);
        if (i >= m.warmup) ms.push(dt);
      }
      void send({ type: 'steps', ms, losses });
    } catch (error) {
      void send({ type: 'error', message: String((error as Error).stack ?? error) });
    }
  });
}

// ---- parent ---------------------------------------------------------------------------------

class Child {
  info: PeerInfo | null = null;
  readonly ms: number[] = [];
  readonly roundMedians: number[] = [];
  firstLosses: number[] = [];
  error: string | null = null;
  private readonly process: ChildProcess;
  private waiting: ((m: FromChild | null) => void) | null = null;

  constructor(readonly id: PeerId, env: Record<string, string>) {
    this.process = fork(fileURLToPath(import.meta.url), [`--child=${id}`], { env: { ...process.env, ...env }, stdio: 'inherit' });
    this.process.on('message', (m: FromChild) => this.settle(m));
    this.process.on('exit', () => this.settle(null));
  }

  private settle(m: FromChild | null): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(m);
  }

  private next(): Promise<FromChild | null> {
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async start(): Promise<void> {
    const m = await this.next();
    if (m?.type === 'info') this.info = m.info;
    else this.error = m?.type === 'error' ? m.message : 'child exited';
  }

  /** The untimed warm-up round: PLAN's warm-up steps; their first three losses are reported. */
  async warmup(): Promise<void> {
    const m = await this.run(0, PLAN[this.id].warmup);
    if (m) this.firstLosses = m.losses.slice(0, 3);
  }

  /** One timed round: one re-warm step, then PLAN's steps. */
  async round(): Promise<void> {
    const m = await this.run(PLAN[this.id].steps, 1);
    if (!m) return;
    this.ms.push(...m.ms);
    this.roundMedians.push(median(m.ms));
  }

  private async run(count: number, warmup: number): Promise<Extract<FromChild, { type: 'steps' }> | null> {
    if (this.error) return null;
    const answer = this.next();
    this.process.send({ type: 'steps', count, warmup } satisfies ToChild);
    const m = await answer;
    if (m?.type !== 'steps') {
      this.error = m?.type === 'error' ? m.message : 'child exited';
      return null;
    }
    return m;
  }

  stop(): void {
    if (!this.error) this.process.send({ type: 'exit' } satisfies ToChild);
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Attune's CPU backend loads its relaxed-SIMD build (fused multiply-add) wherever the engine has
 * relaxed SIMD (on Node 20 it switches V8's flag on itself); with --plain-simd both children get
 * ATTUNE_WASM_RELAXED_SIMD=0 and Attune runs its plain SIMD build. tfjs-backend-wasm 4.22 has no
 * relaxed build either way.
 */
const PLAIN_SIMD_ENV = { ATTUNE_WASM_RELAXED_SIMD: '0' };

async function runParent(quick: boolean, webgpu: boolean, plainSimd: boolean): Promise<void> {
  const rounds = quick ? 1 : 3;
  const env: Record<string, string> = plainSimd ? PLAIN_SIMD_ENV : {};
  const load0 = os.loadavg();
  const cpu = os.cpus()[0]?.model?.trim() || os.hostname();
  const cores = os.availableParallelism();
  console.error(`transformer benchmark — ${cpu}, ${cores} cores, Node ${process.version}, load ${load0.map((l) => l.toFixed(2)).join(' ')}`);
  const ids: PeerId[] = webgpu ? ['attune', 'tfjs-wasm', 'attune-webgpu'] : ['attune', 'tfjs-wasm'];
  const children = ids.map((id) => new Child(id, env));
  await Promise.all(children.map((c) => c.start()));
  for (const child of children) await child.warmup();
  for (let r = 0; r < rounds; r++) {
    const order = children.map((_, i) => children[(i + r) % children.length]);
    for (const child of order) {
      await child.round();
      const last = child.roundMedians.at(-1);
      console.error(`  round ${r + 1}/${rounds} ${child.info?.label ?? child.id}: ${last ? `${last.toFixed(0)} ms/step, ${(TOKENS_PER_STEP / last * 1000).toFixed(0)} tokens/s` : `ERROR ${child.error}`}`);
    }
  }
  for (const c of children) c.stop();

  const rows = children.map((c) => {
    const ms = c.ms.length ? median(c.ms) : NaN;
    return { id: c.id, label: c.info?.label ?? c.id, ms, tokensPerSecond: TOKENS_PER_STEP / ms * 1000, steps: c.ms.length, roundMediansMs: c.roundMedians, firstLosses: c.firstLosses, info: c.info, error: c.error };
  });
  const attune = rows.find((r) => r.id === 'attune')!;
  const tfjs = rows.find((r) => r.id === 'tfjs-wasm')!;
  const ratio = attune.tokensPerSecond / tfjs.tokensPerSecond;
  const gpu = rows.find((r) => r.id === 'attune-webgpu');
  console.log('\nGPT-2 tiny (4L/4H/128d, vocab 256, T=128, B=8), AdamW, CPU — median over all measured steps\n');
  console.log(['peer'.padEnd(28), 'ms/step'.padStart(9), 'tokens/s'.padStart(9), 'steps'.padStart(6), '  first losses'].join(''));
  for (const r of rows) {
    console.log([r.label.padEnd(28), r.ms.toFixed(0).padStart(9), r.tokensPerSecond.toFixed(0).padStart(9), String(r.steps).padStart(6), '  ' + r.firstLosses.map((l) => l.toFixed(4)).join(' ')].join(''));
  }
  const pass = ratio >= TARGET_RATIO;
  console.log(`\nratio attune / tfjs-wasm: ${ratio.toFixed(1)}× (bar ≥ ${TARGET_RATIO}×: ${pass ? 'PASS' : 'FAIL'})`);
  if (gpu) console.log(`webgpu (${gpu.info?.backend ?? gpu.error}): ${gpu.tokensPerSecond.toFixed(0)} tokens/s, ${(gpu.tokensPerSecond / attune.tokensPerSecond).toFixed(2)}× the CPU backend`);
  const lossGap = Math.abs((attune.firstLosses[0] ?? NaN) - (tfjs.firstLosses[0] ?? NaN));
  console.log(`first-step loss |attune − tfjs| = ${lossGap.toExponential(2)} (same weights and batch; ln 256 = ${Math.log(256).toFixed(4)})`);

  const result = {
    benchmark: '@attune/benchmark-transformer',
    date: new Date().toISOString(),
    machine: { cpuModel: cpu, cores, totalMemoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), platform: `${os.platform()} ${os.release()} ${os.arch()}`, node: process.version, env, loadAverageBefore: load0, loadAverageAfter: os.loadavg() },
    workload: { model: 'GPT-2 4 layers, 4 heads, 128 wide, vocab 256, blockSize 128', batchSize: 8, tokensPerStep: TOKENS_PER_STEP, optimizer: 'AdamW lr 6e-4, betas (0.9, 0.95), weight decay 0.1 on matrices' },
    quick,
    peers: rows,
    ratio,
    target: { min: TARGET_RATIO, pass },
  };
  const name = `transformer-${webgpu ? 'webgpu' : 'cpu'}-${cpu.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${cores}c${plainSimd ? '-plain-simd' : ''}${quick ? '.partial' : ''}.json`;
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'results', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

const childArg = process.argv.find((a) => a.startsWith('--child='));
if (childArg) void runChild(childArg.slice('--child='.length) as PeerId);
else {
  void runParent(
    process.argv.includes('--quick') || process.env.BENCH_QUICK === '1',
    process.argv.includes('--webgpu') || process.env.BENCH_WEBGPU === '1',
    process.argv.includes('--plain-simd') || process.env.BENCH_PLAIN_SIMD === '1',
  );
}
