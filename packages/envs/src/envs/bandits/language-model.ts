/**
 * The language-model bandit: the environment shape RLHF's PPO stage uses
 * (Ouyang et al. 2022, "Training language models to follow instructions",
 * §3.5: "a bandit environment which presents a random customer prompt and
 * expects a response to the prompt. Given the prompt and response, it
 * produces a reward determined by the reward model and ends the episode").
 *
 * It is generic over prompt and response types (token arrays, strings, …),
 * and the scorer is a callback (a reward model, a rule, a human), so this
 * package needs no tensor dependency. Scorers that run on an accelerator are
 * asynchronous: use {@link LanguageModelBanditEnv.stepAsync} for those.
 */
import { Env, type Info, type ResetArgs, type ResetResult, type StepResult } from '../../core.js';
import { InvalidActionError, ResetNeededError, rejectUnknownOptions } from '../../errors.js';
import type { Rng } from '../../rng.js';
import { PredicateSpace, describeValue } from '../../spaces.js';

/**
 * Scores a response to a prompt; the scalar is the episode's reward.
 *
 * @example
 * ```ts
 * const lengthPenalty: Scorer<string, string> = (prompt, response) => -Math.abs(response.length - 20);
 * ```
 */
export type Scorer<Prompt, Response> = (prompt: Prompt, response: Response) => number | Promise<number>;

/**
 * Reset options of {@link LanguageModelBanditEnv}: pick the prompt instead of drawing it.
 *
 * @example
 * ```ts
 * const env = new LanguageModelBanditEnv<string, string>({ prompts: ['a', 'b', 'c', 'd'], scorer: (_prompt, response) => response.length });
 * env.reset({ options: { promptIndex: 3 } }); // observation: 'd'
 * ```
 */
export interface LanguageModelBanditResetOptions {
  /** Use `prompts[promptIndex]` instead of a uniform draw. */
  promptIndex?: number;
}

/**
 * Options of {@link LanguageModelBanditEnv}.
 *
 * @example
 * ```ts
 * const options: LanguageModelBanditOptions<string, string> = {
 *   prompts: ['Say hi'],
 *   scorer: (prompt, response) => (response.includes('hi') ? 1 : 0),
 * };
 * ```
 */
export interface LanguageModelBanditOptions<Prompt, Response> {
  /** The prompt dataset; each reset draws one uniformly from `npRandom`. */
  prompts: readonly Prompt[];
  /** Reward for a response to a prompt (a reward model's score at EOS, for RLHF). */
  scorer: Scorer<Prompt, Response>;
  /** Membership test of the action (response) space (default: anything but `undefined`). */
  isResponse?: (value: unknown) => boolean;
  /** Sampler for the action space, e.g. random token sequences (default: none). */
  sampleResponse?: (rng: Rng) => Response;
}

/**
 * `reset()` shows a prompt, `step(response)` scores it and ends the
 * episode (`terminated: true`). The observation is the prompt (also after
 * the step); `info.promptIndex` says which one, `info.response` echoes the
 * response after a step.
 *
 * @example
 * ```ts
 * const env = new LanguageModelBanditEnv<string, string>({
 *   prompts: ['2 + 2 =', '3 + 3 ='],
 *   scorer: (prompt, response) => (response === String(2 * Number(prompt[0])) ? 1 : 0),
 * });
 * const { observation: prompt } = env.reset({ seed: 0 });
 * const { reward, terminated } = env.step('4'); // terminated === true
 * env.reset();
 * const result = await env.stepAsync('6'); // same, for asynchronous scorers
 * ```
 */
export class LanguageModelBanditEnv<Prompt, Response> extends Env<Prompt, Response, LanguageModelBanditResetOptions> {
  readonly observationSpace: PredicateSpace<Prompt>;
  readonly actionSpace: PredicateSpace<Response>;
  /** The prompt dataset. */
  readonly prompts: readonly Prompt[];
  /** The reward callback. */
  readonly scorer: Scorer<Prompt, Response>;
  private promptIndex = -1;
  private done = true;

  constructor(options: LanguageModelBanditOptions<Prompt, Response>) {
    super();
    rejectUnknownOptions('LanguageModelBanditEnv', options, ['prompts', 'scorer', 'isResponse', 'sampleResponse']);
    if (!Array.isArray(options.prompts) || options.prompts.length === 0) {
      throw new RangeError(`LanguageModelBanditEnv prompts must be a non-empty array, got ${describeValue(options.prompts)}`);
    }
    if (typeof options.scorer !== 'function') throw new TypeError(`LanguageModelBanditEnv scorer must be a function, got ${describeValue(options.scorer)}`);
    this.prompts = options.prompts;
    this.scorer = options.scorer;
    const prompts = new Set<unknown>(options.prompts);
    this.observationSpace = new PredicateSpace<Prompt>({
      name: 'Prompt',
      contains: (value) => prompts.has(value),
      sample: (rng) => this.prompts[rng.integers(this.prompts.length)],
    });
    this.actionSpace = new PredicateSpace<Response>({
      name: 'Response',
      contains: options.isResponse,
      sample: options.sampleResponse,
    });
  }

  /** The prompt of the current episode. */
  get prompt(): Prompt {
    if (this.promptIndex < 0) throw new ResetNeededError('LanguageModelBanditEnv.prompt: call reset() first');
    return this.prompts[this.promptIndex];
  }

  reset(args: ResetArgs<LanguageModelBanditResetOptions> = {}): ResetResult<Prompt> {
    this.resetNpRandom(args.seed);
    const chosen = args.options?.promptIndex;
    if (chosen !== undefined) {
      if (!Number.isInteger(chosen) || chosen < 0 || chosen >= this.prompts.length) {
        throw new RangeError(`LanguageModelBanditEnv.reset: options.promptIndex must be an integer in [0, ${this.prompts.length}), got ${describeValue(chosen)}`);
      }
      this.promptIndex = chosen;
    } else {
      this.promptIndex = this.npRandom.integers(this.prompts.length);
    }
    this.done = false;
    return { observation: this.prompts[this.promptIndex], info: { promptIndex: this.promptIndex } };
  }

  /** Scores `response` with a synchronous scorer and ends the episode. */
  step(response: Response): StepResult<Prompt> {
    this.checkStep(response);
    const reward = this.scorer(this.prompts[this.promptIndex], response);
    if (typeof reward !== 'number') {
      throw new TypeError('LanguageModelBanditEnv.step: the scorer returned a Promise; use stepAsync() for asynchronous scorers');
    }
    return this.finish(response, reward);
  }

  /** Like `step`, awaiting an asynchronous scorer (e.g. a reward model on the GPU). */
  async stepAsync(response: Response): Promise<StepResult<Prompt>> {
    this.checkStep(response);
    const prompt = this.prompts[this.promptIndex];
    this.done = true; // no second step while the score is pending
    const reward = await this.scorer(prompt, response);
    return this.finish(response, reward);
  }

  private checkStep(response: Response): void {
    if (this.promptIndex < 0) throw new ResetNeededError('LanguageModelBanditEnv.step: cannot call step() before reset()');
    if (this.done) throw new ResetNeededError('LanguageModelBanditEnv.step: the episode ended after one response; call reset() for the next prompt');
    if (!this.actionSpace.contains(response)) throw new InvalidActionError('LanguageModelBanditEnv.step', response, this.actionSpace);
  }

  private finish(response: Response, reward: number): StepResult<Prompt> {
    if (typeof reward !== 'number' || Number.isNaN(reward)) {
      throw new TypeError(`LanguageModelBanditEnv: the scorer must return a number, got ${describeValue(reward)}`);
    }
    this.done = true;
    const info: Info = { promptIndex: this.promptIndex, response };
    return { observation: this.prompts[this.promptIndex], reward, terminated: true, truncated: false, info };
  }
}
