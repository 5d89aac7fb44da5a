/**
 * CleanRL's `Agent`: separate actor and critic MLPs (no shared trunk, detail 13 of "The 37
 * Implementation Details of PPO"), tanh activations, orthogonal weights with gain √2 in hidden
 * layers, 0.01 on the policy head and 1 on the value head, zero biases (detail 2). For
 * continuous actions the actor outputs the Gaussian mean and a state-independent log standard
 * deviation, initialised to 0, is one more parameter (continuous details 1–4). Parameter names
 * follow CleanRL's module names (`critic.0.weight`, `actor.4.bias`, `actor_mean.0.weight`,
 * `actor_logstd`), so a state dict maps one-to-one onto a CleanRL checkpoint.
 */
import { MLP, Module, init, type ActivationName } from '@attune/nn';
import { Generator, full, zeros, type Tensor } from '@attune/tensor';
import { Categorical, DiagGaussian, type ActionDistribution } from './distributions.js';

/**
 * The architecture of an {@link ActorCritic}; it is what `config.json` stores so a checkpoint can
 * be rebuilt.
 *
 * @example
 * ```ts
 * const spec: ActorCriticOptions = { observationSize: 4, action: { kind: 'discrete', n: 2 } };
 * ```
 */
export interface ActorCriticOptions {
  /** Flat size of one observation. */
  observationSize: number;
  /** Discrete actions (`n` choices) or a continuous Box of `size` dims. */
  action: { kind: 'discrete'; n: number } | { kind: 'continuous'; size: number };
  /** Hidden layer widths of both networks (CleanRL: [64, 64]). */
  hiddenSizes?: number[];
  /** Hidden activation (CleanRL: tanh). */
  activation?: ActivationName;
  /** Whether to build the critic (REINFORCE without a baseline has none). Default true. */
  critic?: boolean;
  /** Initial value of the state-independent log σ (continuous only; CleanRL: 0). */
  initialLogStd?: number;
}

/**
 * What {@link ActorCritic.getActionAndValue} returns for a batch of B observations.
 *
 * @example
 * ```ts
 * import { Generator, tensor } from '@attune/tensor';
 * const agent = new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } });
 * const obs = tensor(new Float32Array(8), { shape: [2, 4] });
 * const { actions, logProbs, entropy, values }: ActionAndValue = agent.getActionAndValue(obs, undefined, new Generator(0));
 * ```
 */
export interface ActionAndValue {
  /** Sampled (or given) actions: int32 [B] or float32 [B, D]. */
  actions: Tensor;
  /** log π(a | s), [B]. */
  logProbs: Tensor;
  /** Entropy of π(· | s), [B]. */
  entropy: Tensor;
  /** V(s), [B] (zeros when the agent has no critic). */
  values: Tensor;
}

/**
 * Separate actor and critic networks with CleanRL's initialisation.
 *
 * @example
 * ```ts
 * import { Generator, noGrad, tensor } from '@attune/tensor';
 * const agent = new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } }, new Generator(1));
 * const obs = new Float32Array(16); // 4 CartPole observations
 * const generator = new Generator(2);
 * const { actions, logProbs, values } = noGrad(() => agent.getActionAndValue(tensor(obs, { shape: [4, 4] }), undefined, generator));
 * ```
 */
export class ActorCritic extends Module<[Tensor], Tensor> {
  /** The resolved architecture (defaults filled in). */
  readonly options: Required<ActorCriticOptions>;
  /** V(s): observation → 1 (absent when `critic: false`). */
  readonly critic: MLP | null;
  /** Discrete: observation → logits. Continuous: observation → Gaussian mean (`actor_mean`). */
  readonly actor: MLP;
  /** Continuous only: the state-independent log σ, [1, D] (`actor_logstd`). */
  readonly actorLogStd: Tensor | null;

  constructor(options: ActorCriticOptions, generator: Generator = new Generator(0)) {
    super();
    const resolved: Required<ActorCriticOptions> = {
      observationSize: options.observationSize,
      action: options.action,
      hiddenSizes: options.hiddenSizes ?? [64, 64],
      activation: options.activation ?? 'tanh',
      critic: options.critic ?? true,
      initialLogStd: options.initialLogStd ?? 0,
    };
    this.options = resolved;
    const { observationSize, action, hiddenSizes, activation } = resolved;
    const actionOutputs = action.kind === 'discrete' ? action.n : action.size;
    if (!Number.isInteger(actionOutputs) || actionOutputs < 1) throw new RangeError(`ActorCritic: the action space needs a positive size, got ${actionOutputs}`);

    // Critic first, as CleanRL registers it.
    if (resolved.critic) {
      const critic = new MLP({ inFeatures: observationSize, hiddenSizes, outFeatures: 1, activation, generator });
      critic.linears.forEach((layer, i) => init.layerInit(layer, i === critic.linears.length - 1 ? 1.0 : Math.SQRT2, 0, generator)); // value head gain 1
      this.critic = this.registerModule('critic', critic);
    } else {
      this.critic = null;
    }
    const actor = new MLP({ inFeatures: observationSize, hiddenSizes, outFeatures: actionOutputs, activation, generator });
    actor.linears.forEach((layer, i) => init.layerInit(layer, i === actor.linears.length - 1 ? 0.01 : Math.SQRT2, 0, generator)); // policy head gain 0.01
    this.actor = this.registerModule(action.kind === 'discrete' ? 'actor' : 'actor_mean', actor);
    this.actorLogStd = action.kind === 'continuous' ? this.registerParameter('actor_logstd', full([1, action.size], resolved.initialLogStd)) : null;
  }

  /** Whether actions are discrete. */
  get discrete(): boolean {
    return this.options.action.kind === 'discrete';
  }

  /** V(s) for observations [B, observationSize] → [B]. */
  getValue(observations: Tensor): Tensor {
    if (this.critic === null) throw new Error('ActorCritic.getValue: this agent was built with critic: false');
    return this.critic.forward(observations).reshape(-1); // [B, 1] → [B]
  }

  /** π(· | s) for observations [B, observationSize]. */
  distribution(observations: Tensor): ActionDistribution {
    const output = this.actor.forward(observations); // [B, A] logits or [B, D] mean
    return this.actorLogStd === null ? new Categorical(output) : new DiagGaussian(output, this.actorLogStd);
  }

  /**
   * CleanRL's `get_action_and_value`: samples actions (or scores the given ones) and returns their
   * log-probabilities, the policy's entropy and the critic's values.
   */
  getActionAndValue(observations: Tensor, actions?: Tensor, generator?: Generator): ActionAndValue {
    const pi = this.distribution(observations);
    const chosen = actions ?? pi.sample(generator);
    return {
      actions: chosen,
      logProbs: pi.logProb(chosen),
      entropy: pi.entropy(),
      values: this.critic === null ? zeros([observations.shape[0]]) : this.getValue(observations),
    };
  }

  /** The deterministic action (argmax / mean) for evaluation. */
  override forward(observations: Tensor): Tensor {
    return this.distribution(observations).mode();
  }
}
