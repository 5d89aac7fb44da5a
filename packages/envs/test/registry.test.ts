/** Registry listing and specs, make's wrapper stack, checkEnv on every id, and the error messages. */
import { describe, expect, it } from 'vitest';
import {
  CartPoleEnv,
  Discrete,
  Env,
  EnvCheckError,
  InvalidActionError,
  OrderEnforcing,
  PassiveEnvChecker,
  ResetNeededError,
  TimeLimit,
  UnknownEnvError,
  checkEnv,
  envIds,
  make,
  parseEnvId,
  register,
  registry,
  spec,
  type ResetArgs,
} from '../src/index.js';

const GYMNASIUM_IDS = [
  'CartPole-v0',
  'CartPole-v1',
  'MountainCar-v0',
  'MountainCarContinuous-v0',
  'Pendulum-v1',
  'Acrobot-v1',
  'FrozenLake-v1',
  'FrozenLake8x8-v1',
  'CliffWalking-v1',
  'CliffWalkingSlippery-v1',
  'Taxi-v4',
];
const BANDIT_IDS = ['BernoulliBandit-v0', 'GaussianBandit-v0', 'GaussianBanditNonstationary-v0', 'LinearContextualBandit-v0'];

describe('registry', () => {
  it('lists every env id of the issue', () => {
    expect(envIds()).toEqual([...GYMNASIUM_IDS, ...BANDIT_IDS].sort());
    expect([...registry.keys()].sort()).toEqual(envIds());
  });

  it("carries Gymnasium 1.4.0's limits, thresholds and kwargs", () => {
    const expected: Record<string, [number | undefined, number | undefined]> = {
      'CartPole-v0': [200, 195],
      'CartPole-v1': [500, 475],
      'MountainCar-v0': [200, -110],
      'MountainCarContinuous-v0': [999, 90],
      'Pendulum-v1': [200, undefined],
      'Acrobot-v1': [500, -100],
      'FrozenLake-v1': [100, 0.7],
      'FrozenLake8x8-v1': [200, 0.85],
      'CliffWalking-v1': [undefined, undefined],
      'CliffWalkingSlippery-v1': [undefined, undefined],
      'Taxi-v4': [200, 8],
    };
    for (const [id, [maxEpisodeSteps, rewardThreshold]] of Object.entries(expected)) {
      expect([spec(id).maxEpisodeSteps, spec(id).rewardThreshold], id).toEqual([maxEpisodeSteps, rewardThreshold]);
    }
    expect(spec('FrozenLake8x8-v1').kwargs).toEqual({ mapName: '8x8' });
    expect(spec('CliffWalkingSlippery-v1').kwargs).toEqual({ isSlippery: true });
    expect(spec('CartPole-v1').entryPointName).toBe('@attune/envs:CartPoleEnv');
    expect(spec('CartPole-v1')).toMatchObject({ name: 'CartPole', version: 1, namespace: undefined });
  });

  it('parses ids', () => {
    expect(parseEnvId('phys2d/CartPole-v0')).toEqual({ namespace: 'phys2d', name: 'CartPole', version: 0 });
    expect(parseEnvId('MyEnv')).toEqual({ namespace: undefined, name: 'MyEnv', version: undefined });
    expect(() => parseEnvId('bad id!')).toThrow(/Malformed environment ID/);
  });

  it('names the id and close matches for unknown ids', () => {
    expect(() => make('CartPole-v9')).toThrow(UnknownEnvError);
    expect(() => make('CartPole-v9')).toThrow("Environment id 'CartPole-v9' is not registered. Did you mean: 'CartPole-v1', 'CartPole-v0'?");
    expect(() => spec('FrozenLak-v1')).toThrow(/'FrozenLake-v1'/);
    try {
      make('Taxi-v3');
    } catch (error) {
      expect((error as UnknownEnvError).suggestions[0]).toBe('Taxi-v4');
    }
    expect(() => make('Zzzzzzzzz-v0')).toThrow(/not registered\. \(envIds\(\) lists every id\)/);
  });

  it('make applies kwargs and the wrapper stack', () => {
    const env = make('FrozenLake-v1', { isSlippery: false });
    expect(env).toBeInstanceOf(OrderEnforcing);
    const limit = (env as OrderEnforcing<number, number>).env;
    expect(limit).toBeInstanceOf(TimeLimit);
    expect((limit as TimeLimit<number, number>).maxEpisodeSteps).toBe(100);
    expect((limit as TimeLimit<number, number>).env).toBeInstanceOf(PassiveEnvChecker);
    expect(env.spec?.kwargs).toEqual({ mapName: '4x4', isSlippery: false });
    expect(String(env)).toBe('<OrderEnforcing<TimeLimit<PassiveEnvChecker<FrozenLakeEnv<FrozenLake-v1>>>>>');
    expect(make('Pendulum-v1', {}, { maxEpisodeSteps: null })).not.toBeInstanceOf(TimeLimit);
    expect(() => make('FrozenLake-v1', { is_slippery: false })).toThrow(/did you mean 'isSlippery'/);
  });

  it('truncates at the registered limit', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    let steps = 0;
    let result;
    do {
      result = env.step(Float32Array.of(0));
      steps++;
    } while (!result.truncated);
    expect(steps).toBe(200);
    expect(result.terminated).toBe(false);
  });

  it('register adds ids that make can build', () => {
    register({ id: 'test/LongCartPole-v1', entryPoint: (kwargs) => new CartPoleEnv(kwargs), maxEpisodeSteps: 1000, rewardThreshold: 950 });
    const env = make('test/LongCartPole-v1');
    expect(env.spec?.maxEpisodeSteps).toBe(1000);
    expect(envIds()).toContain('test/LongCartPole-v1');
    expect(() => register({ id: 'X-v0', entryPoint: 'nope' as never })).toThrow(/entryPoint must be a function/);
  });
});

describe('bad input errors name the value and what was expected', () => {
  it('step before reset, after the end, and invalid actions', () => {
    const env = make('CartPole-v1');
    expect(() => env.step(0)).toThrow(ResetNeededError);
    expect(() => env.step(0)).toThrow('Cannot call env.step() before calling env.reset() (CartPole-v1)');
    env.reset({ seed: 0 });
    expect(() => env.step(2)).toThrow(InvalidActionError);
    expect(() => env.step(2)).toThrow('CartPoleEnv.step: action 2 is not in the action space Discrete(2) (expected an integer in [0, 2))');
    expect(() => env.step('left' as never)).toThrow(/action "left" is not in the action space Discrete\(2\)/);
    let done = false;
    while (!done) {
      const result = env.step(1);
      done = result.terminated || result.truncated;
    }
    expect(() => env.step(1)).toThrow(/after the episode ended/);
    env.reset();
    expect(() => env.step(1)).not.toThrow();
  });

  it('continuous actions out of range, of the wrong length or NaN', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(Float32Array.of(3))).toThrow(/action Float32Array \[3\] is not in the action space Box\(-2\.0, 2\.0, \(1,\), float32\)/);
    expect(() => env.step(Float32Array.of(1, 1))).toThrow(InvalidActionError);
    expect(() => env.step([Number.NaN])).toThrow(InvalidActionError);
    expect(() => env.step(Float64Array.of(1.5))).not.toThrow();
    expect(() => make('MountainCarContinuous-v0').reset({ options: { state: [0] } })).toThrow(/options.state must be 2 numbers \[position, velocity\]/);
  });

  it('bare envs refuse to step before reset too', () => {
    expect(() => new CartPoleEnv().step(0)).toThrow(ResetNeededError);
  });
});

describe('checkEnv', () => {
  for (const id of [...GYMNASIUM_IDS, ...BANDIT_IDS]) {
    it(`${id} passes`, () => {
      expect(checkEnv(make(id)).warnings).toEqual([]);
      expect(checkEnv(make(id, {}, { disableEnvChecker: true, maxEpisodeSteps: 5 }), { steps: 30 }).warnings).toEqual([]);
    });
  }

  it('checks render output', () => {
    for (const [id, renderMode] of [
      ['CartPole-v1', 'rgb_array'],
      ['Acrobot-v1', 'svg'],
      ['Taxi-v4', 'ansi'],
    ] as const) {
      expect(checkEnv(make(id, { renderMode })).warnings).toEqual([]);
    }
  });

  class BrokenEnv extends Env<number, number> {
    readonly actionSpace = new Discrete(2);
    readonly observationSpace = new Discrete(3);
    constructor(private readonly flaw: 'unseeded' | 'bad-obs' | 'bad-terminated' | 'reseeds') {
      super();
    }
    reset(args: ResetArgs = {}) {
      if (this.flaw === 'reseeds') this.resetNpRandom(args.seed ?? 99);
      else this.resetNpRandom(args.seed);
      const observation = this.flaw === 'unseeded' ? Math.floor(Math.random() * 3) : this.npRandom.integers(3);
      return { observation, info: {} };
    }
    step(action: number) {
      const terminated = (this.flaw === 'bad-terminated' ? 'no' : false) as boolean;
      return { observation: this.flaw === 'bad-obs' ? 7 : action, reward: 0, terminated, truncated: false, info: {} };
    }
  }

  it('fails envs that break the contract, naming the check', () => {
    expect(() => checkEnv(new BrokenEnv('bad-obs'))).toThrow(EnvCheckError);
    expect(() => checkEnv(new BrokenEnv('bad-obs'))).toThrow(/\[step\].*observation 7 is not in the observation space Discrete\(3\)/);
    expect(() => checkEnv(new BrokenEnv('bad-terminated'))).toThrow(/terminated must be a boolean, got "no"/);
    expect(() => checkEnv(new BrokenEnv('reseeds'))).toThrow(/\[seeding\].*re-seeded/);
    // Math.random start states differ between two seeded resets (with overwhelming probability over 20 tries).
    let caught = 0;
    for (let i = 0; i < 20; i++) {
      try {
        checkEnv(new BrokenEnv('unseeded'));
      } catch (error) {
        if (error instanceof EnvCheckError && /\[seeding\]|\[determinism\]/.test(error.message)) caught++;
      }
    }
    expect(caught).toBeGreaterThan(0);
  });
});
