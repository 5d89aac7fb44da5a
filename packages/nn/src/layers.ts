// The standard layers: Linear, Embedding, LayerNorm, Dropout, the activation modules, Sequential
// and MLP. Each is a thin Module over an op of @attune/tensor, with PyTorch's default init.

import {
  dropout,
  embedding,
  gelu,
  layerNorm,
  linear,
  logSoftmax,
  ones,
  relu,
  sigmoid,
  silu,
  softmax,
  tanh,
  zeros,
  type Backend,
  type Generator,
  type Tensor,
} from '@attune/tensor';
import { calculateFanInAndFanOut, kaimingUniform_, normal_, uniform_ } from './init.js';
import { describeValue, Module } from './module.js';

/**
 * Options of `Linear`.
 *
 * @example
 * ```ts
 * const options: LinearOptions = { bias: false };
 * new Linear(768, 50257, options); // a GPT's LM head
 * ```
 */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights; defaults to the global one seeded by `manualSeed`. */
  generator?: Generator;
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
}

/**
 * y = x·Wᵀ + b, as `torch.nn.Linear`: `weight` has shape (outFeatures, inFeatures). Initialised as
 * PyTorch does — kaiming-uniform with a = √5 for the weight, which is U(−1/√in, 1/√in), and the
 * same range for the bias.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const fc = new Linear(4, 64);
 * fc.forward(randn([128, 4])); // shape [128, 64]
 * ```
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** (outFeatures, inFeatures). */
  readonly weight: Tensor;
  /** (outFeatures), or null with `bias: false`. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const backend = options.backend;
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], { backend }));
    this.bias = this.registerParameter('bias', options.bias ?? true ? zeros([outFeatures], { backend }) : null);
    this.resetParameters(options.generator);
  }

  /**
   * Re-draws the parameters with PyTorch's default init (`nn.Linear.reset_parameters`).
   *
   * @example
   * ```ts
   * fc.resetParameters(new Generator(0));
   * ```
   */
  resetParameters(generator?: Generator): void {
    // kaiming_uniform_(a=√5): gain √(2/(1+5)), bound √3·gain/√fanIn = 1/√fanIn.
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound, generator);
    }
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * Options of `Embedding`.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const options: EmbeddingOptions = { generator: new Generator(0) };
 * new Embedding(100, 16, options);
 * ```
 */
export interface EmbeddingOptions {
  /** Generator for the N(0, 1) initial weights. */
  generator?: Generator;
  /** Backend for the weight; defaults to the active backend. */
  backend?: Backend;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as `torch.nn.Embedding`
 * (weight N(0, 1)). Input: int32 indices of any shape; output: [...indices.shape, embeddingDim].
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const wte = new Embedding(1000, 64);
 * wte.forward(tensor([[0, 1, 2]], { dtype: 'int32' })); // shape [1, 3, 64]
 * ```
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** (numEmbeddings, embeddingDim). */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = this.registerParameter('weight', zeros([numEmbeddings, embeddingDim], { backend: options.backend }));
    normal_(this.weight, 0, 1, options.generator);
  }

  override forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

/**
 * Options of `LayerNorm`.
 *
 * @example
 * ```ts
 * const options: LayerNormOptions = { eps: 1e-5, bias: false };
 * new LayerNorm(768, options);
 * ```
 */
export interface LayerNormOptions {
  /** Added to the variance for stability (PyTorch's 1e-5). */
  eps?: number;
  /** Learn a per-element scale (ones) and shift (zeros) (default true). */
  elementwiseAffine?: boolean;
  /** Learn the shift; GPT-2 has one, some models drop it (default true). */
  bias?: boolean;
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims (Ba et al. 2016), as
 * `torch.nn.LayerNorm`: biased variance, `eps` inside the square root.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const ln = new LayerNorm(768);
 * ln.forward(randn([2, 5, 768]));
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  /** Scale of `normalizedShape`, or null without `elementwiseAffine`. */
  readonly weight: Tensor | null;
  /** Shift of `normalizedShape`, or null. */
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape.slice();
    if (shape.length === 0) throw new RangeError('LayerNorm: normalizedShape must have at least one dim');
    shape.forEach((d, i) => checkSize('LayerNorm', `normalizedShape[${i}]`, d));
    const { eps = 1e-5, elementwiseAffine = true, bias = true, backend } = options;
    if (!(eps >= 0)) throw new RangeError(`LayerNorm: eps must be non-negative, got ${eps}`);
    this.normalizedShape = Object.freeze(shape);
    this.eps = eps;
    this.weight = this.registerParameter('weight', elementwiseAffine ? ones(shape, { backend }) : null);
    this.bias = this.registerParameter('bias', elementwiseAffine && bias ? zeros(shape, { backend }) : null);
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

/**
 * Inverted dropout (Srivastava et al. 2014) while `training`; the identity (a copy) after `eval()`.
 *
 * @example
 * ```ts
 * import { Generator, randn } from '@attune/tensor';
 * const x = randn([2, 8]);
 * const drop = new Dropout(0.1, { generator: new Generator(0) });
 * drop.eval().forward(x); // equals x
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly generator: Generator | undefined;

  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
    this.generator = options.generator;
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Returns its input unchanged (the same tensor), as `torch.nn.Identity`.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const x = randn([2, 4]);
 * new Identity().forward(x) === x; // true
 * ```
 */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * tanh as a module.
 *
 * @example
 * ```ts
 * new Sequential(new Linear(4, 64), new Tanh());
 * ```
 */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * max(x, 0) as a module.
 *
 * @example
 * ```ts
 * new Sequential(new Linear(4, 64), new ReLU());
 * ```
 */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * The logistic sigmoid as a module.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * new Sigmoid().forward(tensor([0])); // [0.5]
 * ```
 */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * x·σ(x) (SiLU / swish) as a module.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * new SiLU().forward(randn([2, 4]));
 * ```
 */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * GELU (Hendrycks & Gimpel 2016) as a module; `approximate: 'tanh'` is GPT-2's form.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const x = randn([2, 8]);
 * new GELU({ approximate: 'tanh' }).forward(x);
 * ```
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    const { approximate = 'none' } = options;
    if (approximate !== 'none' && approximate !== 'tanh') throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got ${describeValue(approximate)}`);
    this.approximate = approximate;
  }

  override forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * Softmax along `dim` as a module.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logits = tensor([[1, 2, 3]]);
 * new Softmax(-1).forward(logits); // each row sums to 1
 * ```
 */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`Softmax: dim must be an integer, got ${describeValue(dim)}`);
  }

  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * log-softmax along `dim` as a module.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logits = tensor([[1, 2, 3]]);
 * new LogSoftmax(-1).forward(logits); // log-probabilities, each row's exp sums to 1
 * ```
 */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`LogSoftmax: dim must be an integer, got ${describeValue(dim)}`);
  }

  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * A module mapping one tensor to one tensor, as `Sequential` chains them.
 *
 * @example
 * ```ts
 * const layers: TensorModule[] = [new Linear(4, 8), new Tanh(), new Linear(8, 2)];
 * new Sequential(...layers);
 * ```
 */
export type TensorModule = Module<[Tensor], Tensor>;

/**
 * Chains modules: the output of each is the input of the next, as `torch.nn.Sequential`. Children
 * are named `'0'`, `'1'`, …, so parameters are `0.weight`, `2.bias`, … exactly as in PyTorch.
 * Intermediate outputs that no autograd graph needs (under `noGrad`) are disposed on the way.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const net = new Sequential(new Linear(4, 64), new Tanh(), new Linear(64, 2));
 * net.forward(randn([8, 4])); // shape [8, 2]
 * ```
 */
export class Sequential extends Module {
  private readonly layers: TensorModule[] = [];

  constructor(...modules: TensorModule[]) {
    super();
    for (const module of modules) this.append(module);
  }

  /** Adds `module` at the end, named by its index. @example `seq.append(new ReLU())` */
  append(module: TensorModule): this {
    this.registerModule(String(this.layers.length), module);
    this.layers.push(module);
    return this;
  }

  /** Number of modules. @example `seq.length` */
  get length(): number {
    return this.layers.length;
  }

  /** The module at `index` (negative counts from the end). @example `seq.at(-1)` */
  at(index: number): TensorModule {
    const i = index < 0 ? index + this.layers.length : index;
    const module = this.layers[i];
    if (!Number.isInteger(i) || module === undefined) throw new RangeError(`Sequential.at: index ${index} is out of range for ${this.layers.length} modules`);
    return module;
  }

  /** Iterates over the modules in order. @example `for (const m of seq) console.log(String(m))` */
  [Symbol.iterator](): Iterator<TensorModule> {
    return this.layers[Symbol.iterator]();
  }

  override forward(x: Tensor): Tensor {
    let h = x;
    for (const module of this.layers) {
      const next = module.forward(h);
      // An intermediate that feeds no graph is garbage as soon as the next layer has read it.
      if (h !== x && h !== next && !next.requiresGrad && !h.requiresGrad) h.dispose();
      h = next;
    }
    return h;
  }
}

/**
 * Activation names accepted by `MLP`.
 *
 * @example
 * ```ts
 * const activation: ActivationName = 'gelu';
 * new MLP({ inFeatures: 4, hiddenSizes: [16], outFeatures: 2, activation });
 * ```
 */
export type ActivationName = 'tanh' | 'relu' | 'gelu' | 'geluTanh' | 'silu' | 'sigmoid' | 'identity';

/**
 * An activation given by name or by a factory returning a fresh module.
 *
 * @example
 * ```ts
 * const byName: ActivationSpec = 'tanh';
 * const byFactory: ActivationSpec = () => new GELU({ approximate: 'tanh' });
 * new MLP({ inFeatures: 4, hiddenSizes: [16], outFeatures: 2, activation: byFactory });
 * ```
 */
export type ActivationSpec = ActivationName | (() => TensorModule);

/**
 * Builds a fresh activation module from a name or factory.
 *
 * @example
 * ```ts
 * makeActivation('gelu'); // new GELU()
 * ```
 */
export function makeActivation(spec: ActivationSpec, field = 'activation'): TensorModule {
  if (typeof spec === 'function') return spec();
  switch (spec) {
    case 'tanh':
      return new Tanh();
    case 'relu':
      return new ReLU();
    case 'gelu':
      return new GELU();
    case 'geluTanh':
      return new GELU({ approximate: 'tanh' });
    case 'silu':
      return new SiLU();
    case 'sigmoid':
      return new Sigmoid();
    case 'identity':
      return new Identity();
    default:
      throw new RangeError(`MLP: ${field} must be one of 'tanh', 'relu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'identity' or a factory function, got ${describeValue(spec)}`);
  }
}

/**
 * Configuration of `MLP`.
 *
 * @example
 * ```ts
 * const config: MLPConfig = { inFeatures: 4, hiddenSizes: [64, 64], outFeatures: 2, activation: 'tanh' };
 * new MLP(config);
 * ```
 */
export interface MLPConfig {
  /** Size of each input sample. */
  inFeatures: number;
  /** Width of each hidden layer, in order (may be empty: a single Linear). */
  hiddenSizes: readonly number[];
  /** Size of each output sample. */
  outFeatures: number;
  /** Activation after every hidden layer (default 'tanh', CleanRL's PPO choice). */
  activation?: ActivationSpec;
  /** Activation after the output layer (default none). */
  outputActivation?: ActivationSpec | null;
  /** Give every Linear a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (PyTorch's default Linear init). */
  generator?: Generator;
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
}

/**
 * A multilayer perceptron: Linear → activation → … → Linear [→ outputActivation]. It *is* a
 * `Sequential`, so parameter names follow PyTorch's `nn.Sequential` layout — with one hidden layer
 * of each, `0.weight`, `0.bias`, `2.weight`, `2.bias` — and a CleanRL actor's state dict
 * (`nn.Sequential(Linear, Tanh, Linear, Tanh, Linear)`) loads name for name.
 *
 * @example
 * ```ts
 * const policy = new MLP({ inFeatures: 4, hiddenSizes: [64, 64], outFeatures: 2, activation: 'tanh' });
 * policy.namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']
 * ```
 */
export class MLP extends Sequential {
  /** The Linear layers, input to output. */
  readonly linears: readonly Linear[];

  constructor(config: MLPConfig) {
    super();
    const { inFeatures, hiddenSizes, outFeatures, activation = 'tanh', outputActivation = null, bias = true, generator, backend } = config;
    checkSize('MLP', 'inFeatures', inFeatures);
    checkSize('MLP', 'outFeatures', outFeatures);
    if (!Array.isArray(hiddenSizes)) throw new TypeError(`MLP: hiddenSizes must be an array of layer widths, got ${describeValue(hiddenSizes)}`);
    hiddenSizes.forEach((size, i) => checkSize('MLP', `hiddenSizes[${i}]`, size));
    const widths = [inFeatures, ...hiddenSizes, outFeatures];
    const linears: Linear[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const layer = new Linear(widths[i], widths[i + 1], { bias, generator, backend });
      linears.push(layer);
      this.append(layer);
      if (i + 2 < widths.length) this.append(makeActivation(activation, 'activation'));
    }
    if (outputActivation !== null) this.append(makeActivation(outputActivation, 'outputActivation'));
    this.linears = linears;
  }
}

function checkSize(op: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${op}: ${field} must be a non-negative integer, got ${describeValue(value)}`);
  }
}
