/**
 * CleanRL's `QNetwork` for vector observations: observation → 120 → 84 → one Q value per action,
 * ReLU between, PyTorch's default Linear initialisation. Registered as `network` so the state
 * dict reads `network.0.weight`, …, `network.4.bias`, as CleanRL's.
 */
import { MLP, Module, type ActivationName } from '@attune/nn';
import { Generator, type Tensor } from '@attune/tensor';

/**
 * The architecture of a {@link QNetwork}; `config.json` stores it.
 *
 * @example
 * ```ts
 * const spec: QNetworkOptions = { observationSize: 4, numActions: 2 };
 * ```
 */
export interface QNetworkOptions {
  /** Flat size of one observation. */
  observationSize: number;
  /** Number of discrete actions. */
  numActions: number;
  /** Hidden layer widths (CleanRL: [120, 84]). */
  hiddenSizes?: number[];
  /** Hidden activation (CleanRL: ReLU). */
  activation?: ActivationName;
}

/**
 * Q(s, ·) for a batch of observations.
 *
 * @example
 * ```ts
 * import { Generator, tensor } from '@attune/tensor';
 * const q = new QNetwork({ observationSize: 4, numActions: 2 }, new Generator(1));
 * const obs = [0.01, -0.02, 0.03, 0.04]; // a CartPole observation
 * q.forward(tensor(obs, { shape: [1, 4] })).argmax(1); // greedy action
 * ```
 */
export class QNetwork extends Module<[Tensor], Tensor> {
  /** The resolved architecture. */
  readonly options: Required<QNetworkOptions>;
  /** The MLP (`network`). */
  readonly network: MLP;

  constructor(options: QNetworkOptions, generator: Generator = new Generator(0)) {
    super();
    this.options = {
      observationSize: options.observationSize,
      numActions: options.numActions,
      hiddenSizes: options.hiddenSizes ?? [120, 84],
      activation: options.activation ?? 'relu',
    };
    const { observationSize, numActions, hiddenSizes, activation } = this.options;
    this.network = this.registerModule('network', new MLP({ inFeatures: observationSize, hiddenSizes, outFeatures: numActions, activation, generator }));
  }

  /** Q values, [B, numActions]. */
  override forward(observations: Tensor): Tensor {
    return this.network.forward(observations);
  }
}
