// CliffWalking-v1, Sutton & Barto 2nd ed. example 6.6: with ε = 0.1 held constant, Q-learning learns the optimal path
// along the cliff edge but keeps falling off while exploring; SARSA learns the longer, safer path it actually walks,
// and so collects more reward online (figure 6.4: about −25 per episode against −50). Run: npm start
import { make } from '@attune/envs';
import { trainExpectedSarsa, trainQLearning, trainSarsa, type DiscreteEnv, type QTable, type TabularConfig, type TabularTrainingResult } from '@attune/q-learning';

const ROWS = 4;
const COLUMNS = 12;
const RUNS = 50; // S&B average figure 6.4 over independent runs
// Figure 6.4's settings: α = 0.5, ε = 0.1 throughout, undiscounted, 500 episodes.
const config: Partial<TabularConfig> = { totalEpisodes: 500, gamma: 1, learningRate: 0.5, epsilonStart: 0.1, epsilonEnd: 0.1 };
const algorithms: [string, (env: DiscreteEnv, config: Partial<TabularConfig>) => TabularTrainingResult][] = [
  ['SARSA', trainSarsa],
  ['Q-learning', trainQLearning],
  ['expected SARSA', trainExpectedSarsa],
];

/** The cells the greedy policy walks from the start (the env is deterministic), at most 100 moves. */
function greedyPath(env: DiscreteEnv, qTable: QTable): number[] {
  let state = env.reset({ seed: 0 }).observation;
  const path = [state];
  for (let step = 0; step < 100 && state !== 47; step++) {
    state = env.step(qTable.greedyAction(state)).observation;
    path.push(state);
  }
  return path;
}

/** The grid with the path marked: S start, G goal, C cliff, * path, . other cells. */
function drawPath(path: number[]): string {
  const lines: string[] = [];
  for (let row = 0; row < ROWS; row++) {
    let line = '';
    for (let column = 0; column < COLUMNS; column++) {
      const state = row * COLUMNS + column;
      if (state === 36) line += 'S ';
      else if (state === 47) line += 'G ';
      else if (row === 3) line += 'C ';
      else line += path.includes(state) ? '* ' : '. ';
    }
    lines.push(line);
  }
  return lines.join('\n');
}

const env = make('CliffWalking-v1') as DiscreteEnv;
for (const [name, train] of algorithms) {
  // 1. Train RUNS times, averaging the return of each episode (the exploring policy's, as in figure 6.4).
  const meanReturns = new Float64Array(config.totalEpisodes ?? 0);
  let lastRun: TabularTrainingResult | undefined;
  for (let seed = 0; seed < RUNS; seed++) {
    lastRun = train(env, { ...config, seed });
    lastRun.episodeReturns.forEach((value, episode) => (meanReturns[episode] += value / RUNS));
  }
  // 2. Print the learning curve in blocks of 50 episodes, then the greedy path of the last run.
  const blocks: string[] = [];
  for (let start = 0; start < meanReturns.length; start += 50) {
    blocks.push((meanReturns.slice(start, start + 50).reduce((sum, value) => sum + value, 0) / 50).toFixed(1));
  }
  const path = greedyPath(env, (lastRun as TabularTrainingResult).qTable);
  console.log(`\n${name}: mean return per episode, episodes 1–500 in blocks of 50, averaged over ${RUNS} runs`);
  console.log(`  ${blocks.join('  ')}`);
  console.log(`greedy path after training (${path.length - 1} moves):`);
  console.log(drawPath(path));
}
