/**
 * A test fixture: an `Env` stepped straight from a transition table, plus a
 * small stochastic corridor MDP whose optimal values value iteration gives
 * exactly, so the TD methods can be checked against the truth.
 */
import { Discrete, Env, type ResetArgs, type ResetResult, type StepResult, type TransitionTable } from '@attune/envs';

/** Steps `P` from a start state drawn uniformly from `startStates`, truncating after `maxEpisodeSteps`. */
export class TableEnv extends Env<number, number> {
  readonly observationSpace: Discrete;
  readonly actionSpace: Discrete;
  private state = -1;
  private elapsed = 0;

  constructor(
    readonly P: TransitionTable,
    readonly startStates: readonly number[],
    readonly maxEpisodeSteps = Infinity,
  ) {
    super();
    this.observationSpace = new Discrete(P.length);
    this.actionSpace = new Discrete(P[0].length);
  }

  reset(args: ResetArgs = {}): ResetResult<number> {
    this.resetNpRandom(args.seed);
    this.state = this.startStates[this.npRandom.integers(this.startStates.length)];
    this.elapsed = 0;
    return { observation: this.state, info: {} };
  }

  step(action: number): StepResult<number> {
    const outcomes = this.P[this.state][action];
    const u = this.npRandom.random();
    let cumulative = 0;
    let outcome = outcomes[outcomes.length - 1];
    for (const candidate of outcomes) {
      cumulative += candidate[0];
      if (u < cumulative) {
        outcome = candidate;
        break;
      }
    }
    const [, nextState, reward, terminated] = outcome;
    this.state = nextState;
    this.elapsed++;
    return { observation: nextState, reward, terminated, truncated: !terminated && this.elapsed >= this.maxEpisodeSteps, info: {} };
  }
}

/**
 * States 0..6 in a row, start in 3; LEFT (0) / RIGHT (1) move as intended
 * with probability 0.8 and the other way with 0.2. Entering 6 pays +1,
 * entering 0 pays −1, both terminal; every other step costs 0.01.
 */
export function slipperyCorridor(): TransitionTable {
  const numStates = 7;
  const P: [number, number, number, boolean][][][] = [];
  const move = (s: number, direction: number, probability: number): [number, number, number, boolean] => {
    const next = s + direction;
    if (next === numStates - 1) return [probability, next, 1, true];
    if (next === 0) return [probability, next, -1, true];
    return [probability, next, -0.01, false];
  };
  for (let s = 0; s < numStates; s++) {
    if (s === 0 || s === numStates - 1) {
      P[s] = [[[1, s, 0, true]], [[1, s, 0, true]]];
      continue;
    }
    P[s] = [
      [move(s, -1, 0.8), move(s, +1, 0.2)],
      [move(s, +1, 0.8), move(s, -1, 0.2)],
    ];
  }
  return P;
}
