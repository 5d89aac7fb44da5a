// PPO on CartPole-v1 with CleanRL's ppo.py defaults (4 envs × 128 steps, 4 epochs × 4 minibatches, lr 2.5e-4
// annealed, GAE λ 0.95, clip 0.2, entropy 0.01): train, write runs/cartpole-ppo/metrics.jsonl and checkpoints, then
// load the last checkpoint and evaluate its greedy policy. Re-running continues from the newest checkpoint.
// Run: npm start [-- --seed 2 --total-timesteps 300000 --fresh]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { JsonlLogger, combineLoggers, evaluateAgent, loadPolicy, makeEvaluationEnv, progressLogger, recentMeanReturn } from '@attune/policy-gradient';
import { ppoDefaults, trainPPO } from '@attune/ppo';
import { writeReport } from '@attune/report';

const { values: flags } = parseArgs({ options: { seed: { type: 'string' }, 'total-timesteps': { type: 'string' }, fresh: { type: 'boolean' } } });
const runDir = 'runs/cartpole-ppo';
const config = { ...ppoDefaults, seed: Number(flags.seed ?? 1), totalTimesteps: Number(flags['total-timesteps'] ?? ppoDefaults.totalTimesteps) };

// 1. Train, logging CleanRL's metrics to metrics.jsonl and a progress line to the console every 20 updates.
mkdirSync(runDir, { recursive: true });
writeFileSync(`${runDir}/config.json`, JSON.stringify({ example: 'cartpole-ppo', ...config }, null, 2)); // the run's settings
const metrics = new JsonlLogger(`${runDir}/metrics.jsonl`, { append: !flags.fresh });
const { agent, episodes, stepsPerSecond, checkpoint } = await trainPPO(config, {
  logger: combineLoggers(metrics, progressLogger({ every: 20 })),
  checkpointDir: runDir,
  checkpointEvery: 100, // updates; the last one is always saved
  resume: !flags.fresh,
});
metrics.close();
console.log(`report: ${await writeReport(runDir, { title: 'PPO on CartPole-v1' })}`); // config table, learning curves, losses
console.log(`trained: mean return of the last 100 episodes ${recentMeanReturn(episodes.returns).toFixed(1)}, ${Math.round(stepsPerSecond)} steps/s`);

// 2. Load the saved policy and play 10 episodes greedily (argmax of the logits).
const policy = await loadPolicy(checkpoint!);
const evaluation = evaluateAgent(policy.agent, makeEvaluationEnv(policy.envId), { episodes: 10, seed: 1000 });
console.log(`evaluation of ${checkpoint}: mean return ${evaluation.meanReturn.toFixed(1)} ± ${evaluation.stdReturn.toFixed(1)} over 10 episodes`);
agent.dispose();
policy.agent.dispose();
