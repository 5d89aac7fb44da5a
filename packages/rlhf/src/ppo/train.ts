/**
 * The PPO training loop: batches of prompts → `PPOTrainer.step`, checkpoints every
 * `checkpointEvery` steps, and a restart that resumes from the newest complete checkpoint. Prompt
 * batches come from a shuffled pass over the prompts per epoch, each epoch's order drawn from its
 * own seed, so batch i is the same whether or not the run was interrupted before it.
 */
import { checkpointName, latestCheckpoint } from '@attune/nn';
import { Generator } from '@attune/tensor';
import { PPOTrainer, type PPOStepStats, type PPOTrainerOptions } from './trainer.js';

/**
 * Options of {@link trainPPOLM}: the trainer's, plus the data and the loop.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const [policy, reference] = [new GPT(gptConfig('test')), new GPT(gptConfig('test'))];
 * const valueModel = RewardModel.fromGPT(reference);
 * const score: PPOScoreFunction = (rollout) => rollout.responses.map((r) => r.length);
 * const prompts = [[1, 2], [3]];
 * const options: TrainPPOLMOptions = { policy, reference, valueModel, score, prompts, iterations: 100, batchSize: 64 };
 * ```
 */
export interface TrainPPOLMOptions extends PPOTrainerOptions {
  /** The prompts (token ids), each used once per epoch in a shuffled order. */
  prompts: readonly (readonly number[])[];
  /** Total PPO steps (a resumed run counts the steps already done). */
  iterations: number;
  /** Prompts per step; a multiple of `config.miniBatchSize`. */
  batchSize: number;
  /** Where checkpoints go (`checkpoint-<step>` directories) and resume from; null: no checkpoints. */
  checkpointDir?: string | null;
  /** Save every this many steps (and after the last); 0 saves only after the last. */
  checkpointEvery?: number;
  /** Called after each step with its diagnostics. */
  onStep?: (stats: PPOStepStats) => void | Promise<void>;
}

/**
 * What {@link trainPPOLM} returns.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const [policy, reference] = [new GPT(gptConfig('test')), new GPT(gptConfig('test'))];
 * const options: TrainPPOLMOptions = {
 *   policy, reference, valueModel: RewardModel.fromGPT(reference), score: (rollout) => rollout.responses.map((r) => r.length),
 *   prompts: [[1, 2], [3]], iterations: 1, batchSize: 2, config: { maxNewTokens: 4, miniBatchSize: 2 },
 * };
 * const { trainer, history }: TrainPPOLMResult = await trainPPOLM(options);
 * ```
 */
export interface TrainPPOLMResult {
  /** The trainer, holding the trained policy and value model. */
  trainer: PPOTrainer;
  /** The diagnostics of the steps run in this call (not those before a resume). */
  history: PPOStepStats[];
  /** The checkpoint resumed from, or null. */
  resumedFrom: string | null;
}

/**
 * Trains with PPO for `iterations` steps, resuming from the newest checkpoint under
 * `checkpointDir` when there is one.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const sft = new GPT(gptConfig('test'));
 * const policy = new GPT(gptConfig('test'));
 * policy.loadStateDict(sft.stateDict());
 * const rewardModel = new RewardModel(gptConfig('test'));
 * const prompts = [[1, 2], [3, 4], [5], [6, 7]];
 * const { trainer } = await trainPPOLM({
 *   policy, reference: sft, valueModel: RewardModel.fromGPT(sft), score: rewardModel,
 *   prompts, iterations: 2, batchSize: 2, checkpointDir: 'runs/ppo', checkpointEvery: 1,
 *   config: { eosTokenId: 0, maxNewTokens: 4, lr: 1e-5, initKlCoef: 0.15, miniBatchSize: 2 },
 *   onStep: (s) => console.log(s.step, s.score, s.kl),
 * });
 * ```
 */
export async function trainPPOLM(options: TrainPPOLMOptions): Promise<TrainPPOLMResult> {
  const { prompts, iterations, batchSize, checkpointDir = null, checkpointEvery = 0, onStep } = options;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new RangeError(`trainPPOLM: prompts must be a non-empty array of token arrays, got ${String(prompts)}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`trainPPOLM: iterations must be a positive integer, got ${iterations}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`trainPPOLM: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) throw new RangeError(`trainPPOLM: checkpointEvery must be an integer ≥ 0, got ${checkpointEvery}`);
  if (checkpointDir !== null && (typeof checkpointDir !== 'string' || checkpointDir === '')) throw new TypeError(`trainPPOLM: checkpointDir must be a non-empty path or null, got ${String(checkpointDir)}`);
  const trainer = new PPOTrainer(options);
  if (batchSize % trainer.config.miniBatchSize !== 0) {
    throw new RangeError(`trainPPOLM: batchSize (${batchSize}) must be a multiple of PPOLMConfig.miniBatchSize (${trainer.config.miniBatchSize})`);
  }
  const resumedFrom = checkpointDir === null ? null : await latestCheckpoint(checkpointDir);
  if (resumedFrom !== null) await trainer.resume(resumedFrom);

  const batches = new PromptBatches(prompts, batchSize, trainer.config.seed);
  const history: PPOStepStats[] = [];
  while (trainer.globalStep < iterations) {
    const stats = await trainer.step(batches.batch(trainer.globalStep));
    history.push(stats);
    await onStep?.(stats);
    const last = trainer.globalStep === iterations;
    if (checkpointDir !== null && (last || (checkpointEvery > 0 && trainer.globalStep % checkpointEvery === 0))) {
      await trainer.save(`${checkpointDir}/${checkpointName(trainer.globalStep)}`);
    }
  }
  return { trainer, history, resumedFrom };
}

/** Batch i of the stream of per-epoch permutations of the prompts; epoch e's order is drawn from seed `<seed>/prompts/<e>`. */
class PromptBatches {
  private readonly orders = new Map<number, Int32Array>();

  constructor(
    private readonly prompts: readonly (readonly number[])[],
    private readonly batchSize: number,
    private readonly seed: number,
  ) {}

  batch(index: number): (readonly number[])[] {
    const n = this.prompts.length;
    const out: (readonly number[])[] = [];
    for (let k = index * this.batchSize; k < (index + 1) * this.batchSize; k++) out.push(this.prompts[this.order(Math.floor(k / n))[k % n]]);
    return out;
  }

  private order(epoch: number): Int32Array {
    let order = this.orders.get(epoch);
    if (order === undefined) {
      const generator = new Generator(`${this.seed}/prompts/${epoch}`);
      order = new Int32Array(this.prompts.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      for (let i = order.length - 1; i > 0; i--) {
        const j = generator.randint(0, i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.orders.clear(); // only the current epoch is needed
      this.orders.set(epoch, order);
    }
    return order;
  }
}
