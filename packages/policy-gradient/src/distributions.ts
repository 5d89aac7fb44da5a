/**
 * Action distributions for policy-gradient methods, as `torch.distributions` computes them:
 * a Categorical over discrete actions (parameterised by logits) and a diagonal Gaussian over
 * continuous actions (mean from the network, a log standard deviation that CleanRL keeps as one
 * state-independent parameter). Log-probabilities and entropies are differentiable; sampling is
 * not (it runs under `noGrad`) and draws from an explicit `Generator` so runs are reproducible.
 */
import { categorical, logSoftmax, noGrad, randn, type Generator, type Tensor } from '@attune/tensor';

/** log √(2π), the Gaussian's normalising constant. */
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The interface both distributions share, so a training loop can be written once over either.
 *
 * @example
 * ```ts
 * import { tensor, type Tensor } from '@attune/tensor';
 * function surprise(pi: ActionDistribution, actions: Tensor): Tensor {
 *   return pi.logProb(actions).neg().mean();
 * }
 * surprise(new Categorical(tensor([[0, 0]])), tensor([1], { dtype: 'int32' }));
 * ```
 */
export interface ActionDistribution {
  /** One action per row, drawn without recording gradients: int32 [B] (Categorical) or float32 [B, D] (Gaussian). */
  sample(generator?: Generator): Tensor;
  /** log π(a) per row, [B]; differentiable in the distribution's parameters. */
  logProb(actions: Tensor): Tensor;
  /** Entropy per row, [B]; differentiable. */
  entropy(): Tensor;
  /** The most likely action per row (argmax, or the mean): the deterministic policy used for evaluation. */
  mode(): Tensor;
}

/**
 * A categorical distribution over the last dim of `logits` (`torch.distributions.Categorical(logits=…)`).
 * The logits are normalised once to log-probabilities with a log-softmax.
 *
 * @example
 * ```ts
 * import { Generator, tensor } from '@attune/tensor';
 * const pi = new Categorical(tensor([[0, 0], [2, -2]]));  // logits [B=2, A=2]
 * const actions = pi.sample(new Generator(1));            // int32 [2]
 * pi.logProb(actions);                                    // [2]
 * pi.entropy();                                           // [ln 2, 0.127]
 * ```
 */
export class Categorical implements ActionDistribution {
  /** Normalised log-probabilities, [B, A]. */
  readonly logProbs: Tensor;

  constructor(logits: Tensor) {
    if (logits.ndim !== 2) throw new RangeError(`Categorical: logits must be [B, A], got shape [${logits.shape.join(', ')}]`);
    this.logProbs = logSoftmax(logits, -1);
  }

  /** Probabilities, [B, A]. */
  get probs(): Tensor {
    return this.logProbs.exp();
  }

  sample(generator?: Generator): Tensor {
    // Gumbel-max over the log-probabilities: argmax(log p + G) ~ Categorical(p).
    return categorical(this.logProbs, { generator });
  }

  logProb(actions: Tensor): Tensor {
    if (actions.dtype !== 'int32') throw new TypeError(`Categorical.logProb: actions must be int32, got ${actions.dtype}`);
    // gather needs an index shaped like logProbs except on the gathered dim: [B] → [B, 1] → [B].
    return this.logProbs.gather(1, actions.reshape(-1, 1)).reshape(-1);
  }

  entropy(): Tensor {
    // H = −Σ_a p(a) log p(a), per row.
    return this.logProbs.exp().mul(this.logProbs).sum(-1).neg();
  }

  mode(): Tensor {
    return noGrad(() => this.logProbs.argmax(-1));
  }
}

/**
 * A Gaussian with diagonal covariance over the last dim (`torch.distributions.Normal(mean, std)`
 * with log-prob and entropy summed over action dims, as CleanRL's continuous PPO). `logStd`
 * broadcasts against `mean`: CleanRL's state-independent `actor_logstd` is [1, D].
 *
 * @example
 * ```ts
 * import { Generator, zeros } from '@attune/tensor';
 * const mean = zeros([8, 1]);                             // [B, D]
 * const pi = new DiagGaussian(mean, zeros([1, 1]));       // σ = 1
 * const actions = pi.sample(new Generator(0));            // [8, 1]
 * pi.logProb(actions);                                    // [8]
 * pi.entropy();                                           // [8], each ½ + ½ ln 2π ≈ 1.419
 * ```
 */
export class DiagGaussian implements ActionDistribution {
  /** μ, [B, D]. */
  readonly mean: Tensor;
  /** log σ, broadcastable to [B, D]. */
  readonly logStd: Tensor;

  constructor(mean: Tensor, logStd: Tensor) {
    if (mean.ndim !== 2) throw new RangeError(`DiagGaussian: mean must be [B, D], got shape [${mean.shape.join(', ')}]`);
    this.mean = mean;
    this.logStd = logStd;
  }

  /** σ = exp(log σ), broadcastable to [B, D]. */
  get std(): Tensor {
    return this.logStd.exp();
  }

  sample(generator?: Generator): Tensor {
    return noGrad(() => {
      const noise = randn(this.mean.shape, { generator }); // [B, D]
      return this.mean.add(this.std.mul(noise));
    });
  }

  logProb(actions: Tensor): Tensor {
    // log N(a; μ, σ²) = −(a − μ)² / (2σ²) − log σ − log √(2π), summed over the D action dims.
    const variance = this.logStd.mul(2).exp();
    const perDim = actions.sub(this.mean).square().div(variance.mul(2)).neg().sub(this.logStd).sub(LOG_SQRT_2PI); // [B, D]
    return perDim.sum(-1);
  }

  entropy(): Tensor {
    // H = ½ + log √(2π) + log σ per dim, summed over D; expanded to the batch first so it is [B].
    return this.logStd.expand(this.mean.shape).add(0.5 + LOG_SQRT_2PI).sum(-1);
  }

  mode(): Tensor {
    return noGrad(() => this.mean.clone());
  }
}
