// Policy gradients on CartPole-v1, simplest first: REINFORCE (Williams 1992) with a learned baseline, one gradient
// step per batch of 8 complete episodes; then synchronous A2C (8 envs × 5-step returns, one gradient step per 40
// steps). Both usually reach a mean return of 475 well within 1M steps. Run: npm start [-- --seed 2]
import { parseArgs } from 'node:util';
import { evaluateAgent, makeEvaluationEnv, progressLogger, recentMeanReturn, trainA2C, trainReinforce, type TrainingResult, type ActorCritic } from '@attune/policy-gradient';

const { values: flags } = parseArgs({ options: { seed: { type: 'string' }, 'total-timesteps': { type: 'string' } } });
const seed = Number(flags.seed ?? 1);
const totalTimesteps = Number(flags['total-timesteps'] ?? 500_000);

function report(name: string, { agent, episodes }: TrainingResult<ActorCritic>): void {
  const solvedAt = episodes.returns.findIndex((_, i) => i >= 99 && recentMeanReturn(episodes.returns.slice(0, i + 1)) >= 475);
  const evaluation = evaluateAgent(agent, makeEvaluationEnv('CartPole-v1'), { episodes: 10, seed: 1000 });
  console.log(`${name}: ${solvedAt < 0 ? 'not solved' : `mean of 100 episodes ≥ 475 at step ${episodes.steps[solvedAt]}`}; greedy evaluation ${evaluation.meanReturn.toFixed(1)}`);
  agent.dispose();
}

console.log('REINFORCE with a baseline');
report('REINFORCE', await trainReinforce({ seed, totalTimesteps }, { logger: progressLogger({ every: 200 }) }));
console.log('A2C');
report('A2C', await trainA2C({ seed, totalTimesteps }, { logger: progressLogger({ every: 250 }) }));
