// DQN on CartPole-v1 with CleanRL's dqn.py defaults (replay memory of 10k, target network copied every 500 steps,
// ε 1 → 0.05 over half the run, a gradient step every 10 steps after 10k, MSE TD loss), or Double DQN with
// --double. Writes runs/cartpole-dqn/metrics.jsonl and a checkpoint, then evaluates the saved Q-network ε-greedily
// (ε = 0.05, as CleanRL's dqn_eval). Run: npm start [-- --seed 2 --double --total-timesteps 200000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { make } from '@attune/envs';
import { JsonlLogger, combineLoggers, progressLogger, recentMeanReturn } from '@attune/policy-gradient';
import { dqnDefaults, evaluateQNetwork, loadQNetwork, trainDQN } from '@attune/q-learning';
import { writeReport } from '@attune/report';

const { values: flags } = parseArgs({ options: { seed: { type: 'string' }, double: { type: 'boolean' }, 'total-timesteps': { type: 'string' } } });
const runDir = flags.double ? 'runs/cartpole-double-dqn' : 'runs/cartpole-dqn';
const config = { ...dqnDefaults, seed: Number(flags.seed ?? 1), doubleDqn: flags.double ?? false, totalTimesteps: Number(flags['total-timesteps'] ?? dqnDefaults.totalTimesteps) };

// 1. Train; the progress line prints whenever charts/SPS is logged (every 100 steps), so only every 200th.
mkdirSync(runDir, { recursive: true });
writeFileSync(`${runDir}/config.json`, JSON.stringify({ example: 'cartpole-dqn', ...config }, null, 2)); // the run's settings
const metrics = new JsonlLogger(`${runDir}/metrics.jsonl`);
const { qNetwork, episodeReturns, stepsPerSecond, checkpoint } = await trainDQN(config, {
  logger: combineLoggers(metrics, progressLogger({ every: 200 })),
  checkpointDir: runDir,
});
metrics.close();
console.log(`report: ${await writeReport(runDir, { title: 'DQN on CartPole-v1' })}`); // config table, learning curves, losses
console.log(`trained: mean return of the last 100 episodes ${recentMeanReturn(episodeReturns).toFixed(1)}, ${Math.round(stepsPerSecond)} steps/s`);

// 2. Evaluate the saved network.
const saved = await loadQNetwork(checkpoint!);
const evaluation = evaluateQNetwork(saved.qNetwork, make(saved.envId), { episodes: 10, epsilon: 0.05, seed: 1000 });
console.log(`evaluation of ${checkpoint}: mean return ${evaluation.meanReturn.toFixed(1)} over 10 episodes`);
qNetwork.dispose();
saved.qNetwork.dispose();
