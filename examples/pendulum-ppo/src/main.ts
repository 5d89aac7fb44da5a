// Continuous-action PPO on Pendulum-v1: CleanRL's ppo_continuous_action.py (Gaussian policy with a state-independent
// log σ, observations normalised and clipped to ±10, rewards scaled and clipped to ±10, actions clipped at the env
// boundary) with RL-Baselines3-Zoo's tuned Pendulum hyperparameters (ppoPendulumPreset: 4 envs × 1024 steps, γ 0.9,
// 10 epochs of 64-sample minibatches, lr 1e-3). Then the saved policy is evaluated with the training observation
// statistics, frozen. Run: npm start [-- --seed 2 --total-timesteps 300000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { JsonlLogger, combineLoggers, evaluateAgent, loadPolicy, makeEvaluationEnv, progressLogger, recentMeanReturn } from '@attune/policy-gradient';
import { ppoPendulumPreset, trainPPO } from '@attune/ppo';
import { writeReport } from '@attune/report';

const { values: flags } = parseArgs({ options: { seed: { type: 'string' }, 'total-timesteps': { type: 'string' } } });
const runDir = 'runs/pendulum-ppo';
const config = { ...ppoPendulumPreset, seed: Number(flags.seed ?? 1), totalTimesteps: Number(flags['total-timesteps'] ?? 300_000) };

// 1. Train (≈ −200 mean return after 300k steps for most seeds; −1200 is a random policy).
mkdirSync(runDir, { recursive: true });
writeFileSync(`${runDir}/config.json`, JSON.stringify({ example: 'pendulum-ppo', ...config }, null, 2)); // the run's settings
const metrics = new JsonlLogger(`${runDir}/metrics.jsonl`);
const { agent, episodes, checkpoint } = await trainPPO(config, { logger: combineLoggers(metrics, progressLogger({ every: 10 })), checkpointDir: runDir });
metrics.close();
console.log(`report: ${await writeReport(runDir, { title: 'PPO on Pendulum-v1' })}`); // config table, learning curves, losses
console.log(`trained: mean return of the last 100 episodes ${recentMeanReturn(episodes.returns).toFixed(1)}`);

// 2. Evaluate the saved policy deterministically (the Gaussian's mean), normalising with the saved statistics.
const policy = await loadPolicy(checkpoint!);
const env = makeEvaluationEnv(policy.envId, policy.wrappers, policy.observationStatistics);
const evaluation = evaluateAgent(policy.agent, env, { episodes: 10, seed: 1000 });
console.log(`evaluation: mean return ${evaluation.meanReturn.toFixed(1)} ± ${evaluation.stdReturn.toFixed(1)} over 10 episodes`);
agent.dispose();
policy.agent.dispose();
