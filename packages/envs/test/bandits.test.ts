/** Bandit environments: arm statistics, regret information, drift, contexts, the language-model shape. */
import { describe, expect, it } from 'vitest';
import {
  BernoulliBanditEnv,
  GaussianBanditEnv,
  InvalidActionError,
  LanguageModelBanditEnv,
  LinearContextualBanditEnv,
  ResetNeededError,
  make,
  type BanditStepInfo,
} from '../src/index.js';

describe('k-armed bandits', () => {
  it('Bernoulli arms pay with their probabilities and expose the optimal arm', () => {
    const env = new BernoulliBanditEnv({ probabilities: [0.1, 0.8, 0.5] });
    env.reset({ seed: 0 });
    expect(env.optimalArm()).toBe(1);
    const n = 20_000;
    let wins = 0;
    for (let t = 0; t < n; t++) {
      const { reward, info, terminated, observation } = env.step(2);
      wins += reward;
      expect(observation).toBe(0);
      expect(terminated).toBe(false);
      expect(info as BanditStepInfo).toMatchObject({ optimalArm: 1, optimalValue: 0.8, expectedReward: 0.5 });
      expect((info as BanditStepInfo).regret).toBeCloseTo(0.3, 12);
    }
    expect(wins / n).toBeCloseTo(0.5, 1.5);
  });

  it('the 10-armed testbed draws q*(a) ~ N(0, 1) per run and rewards ~ N(q*, 1)', () => {
    const env = new GaussianBanditEnv();
    const means: number[] = [];
    for (let run = 0; run < 300; run++) {
      env.reset({ seed: run });
      means.push(...env.expectedRewards);
    }
    const mean = means.reduce((a, b) => a + b, 0) / means.length;
    const variance = means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(variance).toBeCloseTo(1, 0.7);

    env.reset({ seed: 1 });
    const q3 = env.expectedRewards[3];
    let sum = 0;
    for (let t = 0; t < 20_000; t++) sum += env.step(3).reward;
    expect(sum / 20_000).toBeCloseTo(q3, 1);
  });

  it('same seed, same run; different seeds, different arms', () => {
    const a = new GaussianBanditEnv();
    const b = new GaussianBanditEnv();
    a.reset({ seed: 5 });
    b.reset({ seed: 5 });
    expect(Array.from(a.expectedRewards)).toEqual(Array.from(b.expectedRewards));
    expect([a.step(0).reward, a.step(1).reward]).toEqual([b.step(0).reward, b.step(1).reward]);
    b.reset({ seed: 6 });
    expect(Array.from(a.expectedRewards)).not.toEqual(Array.from(b.expectedRewards));
  });

  it('the non-stationary testbed starts equal and random-walks (Sutton & Barto exercise 2.5)', () => {
    const env = make('GaussianBanditNonstationary-v0');
    env.reset({ seed: 3 });
    const bandit = env.unwrapped as GaussianBanditEnv;
    expect(Array.from(bandit.expectedRewards)).toEqual(new Array(10).fill(0));
    for (let t = 0; t < 10_000; t++) env.step(0);
    const spread = Math.max(...bandit.expectedRewards) - Math.min(...bandit.expectedRewards);
    expect(spread).toBeGreaterThan(0.3); // each arm's std after 10k steps is 0.01·√10⁴ = 1
    expect(bandit.randomWalkStd).toBe(0.01);
  });

  it('rejects arms outside the action space', () => {
    const env = new BernoulliBanditEnv();
    expect(() => env.step(0)).toThrow(ResetNeededError);
    env.reset();
    expect(() => env.step(10)).toThrow(InvalidActionError);
    expect(() => env.step(10)).toThrow(/action 10 is not in the action space Discrete\(10\)/);
  });
});

describe('linear contextual bandit', () => {
  it('pays xᵀθₐ + ε and reports the optimal arm of the current context', () => {
    const thetas = [
      [1, 0],
      [0, 1],
      [-1, -1],
    ];
    const env = new LinearContextualBanditEnv({ thetas, noiseStd: 0 });
    let { observation: context } = env.reset({ seed: 0 });
    for (let t = 0; t < 100; t++) {
      const expected = thetas.map((theta) => theta[0] * context[0] + theta[1] * context[1]);
      const best = expected.indexOf(Math.max(...expected));
      const { reward, info, observation } = env.step(1);
      expect(reward).toBeCloseTo(expected[1], 12);
      expect((info as BanditStepInfo).optimalArm).toBe(best);
      expect((info as BanditStepInfo).regret).toBeCloseTo(expected[best] - expected[1], 12);
      expect(env.observationSpace.contains(observation)).toBe(true);
      context = observation;
    }
  });

  it('supports per-arm contexts', () => {
    const env = new LinearContextualBanditEnv({ k: 4, dimension: 3, perArmContexts: true });
    const { observation } = env.reset({ seed: 1 });
    expect(observation).toHaveLength(12);
    expect(env.observationSpace.shape).toEqual([4, 3]);
  });
});

describe('language-model bandit', () => {
  const prompts = ['2 + 2 =', '3 + 3 ='];
  const scorer = (prompt: string, response: string) => (Number(response) === 2 * Number(prompt[0]) ? 1 : 0);

  it('shows a prompt, scores one response, ends the episode', () => {
    const env = new LanguageModelBanditEnv<string, string>({ prompts, scorer, isResponse: (x) => typeof x === 'string' });
    const { observation: prompt, info } = env.reset({ seed: 0 });
    expect(prompts).toContain(prompt);
    expect(info.promptIndex).toBe(prompts.indexOf(prompt));
    const answer = String(2 * Number(prompt[0]));
    expect(env.step(answer)).toEqual({ observation: prompt, reward: 1, terminated: true, truncated: false, info: { promptIndex: info.promptIndex, response: answer } });
    expect(() => env.step(answer)).toThrow(/call reset\(\) for the next prompt/);
    env.reset({ options: { promptIndex: 1 } });
    expect(env.prompt).toBe('3 + 3 =');
    expect(env.step('5').reward).toBe(0);
    env.reset();
    expect(() => env.step(42 as never)).toThrow(InvalidActionError);
  });

  it('draws prompts uniformly and reproducibly', () => {
    const env = new LanguageModelBanditEnv<string, string>({ prompts: ['a', 'b', 'c', 'd'], scorer: () => 0 });
    const draw = (seed: number) => {
      env.reset({ seed });
      return Array.from({ length: 20 }, () => env.reset().observation).join('');
    };
    expect(draw(1)).toBe(draw(1));
    const counts = new Map<string, number>();
    env.reset({ seed: 2 });
    for (let i = 0; i < 8000; i++) {
      const prompt = env.reset().observation;
      counts.set(prompt, (counts.get(prompt) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(count / 8000).toBeCloseTo(0.25, 1.5);
  });

  it('works with asynchronous scorers and generic token types', async () => {
    const env = new LanguageModelBanditEnv<Int32Array, Int32Array>({
      prompts: [Int32Array.of(1, 2, 3)],
      scorer: async (prompt, response) => response.length - prompt.length,
    });
    env.reset();
    expect(() => env.step(Int32Array.of(9))).toThrow(/use stepAsync/);
    env.reset();
    const result = await env.stepAsync(Int32Array.of(4, 5, 6, 7));
    expect(result.reward).toBe(1);
    expect(result.terminated).toBe(true);
  });
});
