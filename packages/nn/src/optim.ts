// Optimizers with torch.optim's exact update rules and defaults: SGD (momentum, dampening,
// Nesterov, weight decay), Adam and AdamW (through the backend's fused Adam kernel), parameter
// groups, zeroGrad, and state dicts for checkpoints.

import { add, clone, keep, maximum, mul, neg, noGrad, sqrt, sub, tensor, tidy, zerosLike, type AdamStep, type Tensor } from '@attune/tensor';
import { describeValue, zeroGrads } from './module.js';

/**
 * A parameter group as given to an optimizer: its parameters plus overrides of the defaults.
 *
 * @example
 * ```ts
 * const body = new Linear(4, 8);
 * const head = new Linear(8, 2);
 * const groups: ParamGroupInput<AdamOptions>[] = [{ params: body.parameters() }, { params: head.parameters(), lr: 1e-4 }];
 * new Adam(groups, { lr: 1e-3 });
 * ```
 */
export type ParamGroupInput<H> = { params: readonly Tensor[] } & Partial<H>;

/**
 * A parameter group inside an optimizer: its parameters and every hyper-parameter, resolved.
 *
 * @example
 * ```ts
 * const optimizer = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * const group: ParamGroup<SGDOptions> = optimizer.paramGroups[0];
 * group.lr; // 0.1
 * ```
 */
export type ParamGroup<H> = { params: Tensor[] } & H;

/**
 * Per-parameter optimizer state: a step count and named moment tensors.
 *
 * @example
 * ```ts
 * import { zeros } from '@attune/tensor';
 * const state: ParamState = { step: 1, expAvg: zeros([2, 4]), expAvgSq: zeros([2, 4]) };
 * ```
 */
export type ParamState = { step: number } & { [name: string]: Tensor | number };

/**
 * Per-parameter state as it comes back from JSON: tensors become number arrays.
 *
 * @example
 * ```ts
 * const state: ParamStateInput = { step: 3, momentumBuffer: [0.1, -0.2] };
 * ```
 */
export type ParamStateInput = { step: number } & { [name: string]: Tensor | number | readonly number[] | Float32Array };

/**
 * An optimizer's state dict, as `torch.optim.Optimizer.state_dict()`: `state` maps each
 * parameter's index (counted across groups, in order) to its state; `paramGroups` holds each
 * group's hyper-parameters and the indices of its parameters.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(new Linear(4, 2).parameters(), { lr: 1e-3 });
 * const saved: OptimizerStateDict = optimizer.stateDict();
 * optimizer.loadStateDict(saved);
 * ```
 */
export interface OptimizerStateDict<H = Record<string, unknown>, S = ParamState> {
  state: Record<string, S>;
  paramGroups: ({ params: number[] } & H)[];
}

/**
 * Options of `zeroGrad`.
 *
 * @example
 * ```ts
 * const optimizer = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * const options: ZeroGradOptions = { setToNone: false };
 * optimizer.zeroGrad(options); // zero-fills the gradients instead of dropping them
 * ```
 */
export interface ZeroGradOptions {
  /** Dispose gradients and set them to null (default true, as PyTorch) instead of zero-filling them. */
  setToNone?: boolean;
}

/**
 * The base of every optimizer, as `torch.optim.Optimizer`: parameter groups with their own
 * hyper-parameters, per-parameter state kept alive across `tidy` (and freed by `dispose()`), and
 * state dicts.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const model = new Linear(4, 2);
 * const optimizer: Optimizer = new Adam(model.parameters(), { lr: 3e-4 });
 * const loss = model.forward(randn([8, 4])).square().mean();
 * optimizer.zeroGrad();
 * loss.backward();
 * optimizer.step();
 * ```
 */
export abstract class Optimizer<H extends { lr: number } = { lr: number }> {
  /** The groups, in order; change `paramGroups[i].lr` (or `lr` for all) between steps. */
  readonly paramGroups: ParamGroup<H>[];
  /** The hyper-parameters a group gets when it does not override them. */
  readonly defaults: Readonly<H>;
  /** Per-parameter state, created on a parameter's first step. */
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly name: string;

  protected constructor(name: string, params: readonly Tensor[] | readonly ParamGroupInput<H>[], defaults: H) {
    this.name = name;
    this.defaults = Object.freeze(definedOnly(defaults));
    if (!Array.isArray(params) || params.length === 0) throw new RangeError(`${name}: expected a non-empty array of parameters or parameter groups, got ${describeValue(params)}`);
    const groups: ParamGroupInput<H>[] = isGroupList(params) ? params : [{ params: params as readonly Tensor[] } as ParamGroupInput<H>];
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((group, g) => {
      if (!group || !Array.isArray(group.params)) throw new TypeError(`${name}: paramGroups[${g}].params must be an array of tensors, got ${describeValue(group?.params)}`);
      const resolved = { ...this.defaults, ...definedOnly(group), params: group.params.slice() } as ParamGroup<H>;
      resolved.params.forEach((p, i) => {
        if (!isTensor(p)) throw new TypeError(`${name}: paramGroups[${g}].params[${i}] is not a Tensor (got ${describeValue(p)})`);
        if (p.dtype !== 'float32') throw new TypeError(`${name}: paramGroups[${g}].params[${i}] must be float32, got ${p.dtype}`);
        if (!p.isLeaf) throw new Error(`${name}: paramGroups[${g}].params[${i}] is not a leaf tensor; optimizers update leaves (parameters)`);
        if (seen.has(p)) throw new Error(`${name}: paramGroups[${g}].params[${i}] appears more than once across the parameter groups`);
        seen.add(p);
      });
      this.validateGroup(resolved, `paramGroups[${g}]`);
      return resolved;
    });
  }

  /** Throws naming `where` and the field when a hyper-parameter is invalid. */
  protected abstract validateGroup(group: H, where: string): void;

  /** Performs one optimization step on every parameter that has a gradient. */
  abstract step(): void;

  /**
   * The first group's learning rate; setting it sets every group's (for schedulers, see `LRScheduler`).
   *
   * @example
   * ```ts
   * optimizer.lr = 3e-4 * frac; // CleanRL's annealing
   * ```
   */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  set lr(value: number) {
    if (!(value >= 0)) throw new RangeError(`${this.name}: lr must be a non-negative number, got ${value}`);
    for (const group of this.paramGroups) group.lr = value;
  }

  /** Every parameter, across groups, in order. @example `optimizer.parameters().length` */
  parameters(): Tensor[] {
    return this.paramGroups.flatMap((group) => group.params);
  }

  /**
   * Clears the gradients of the optimizer's parameters (see `Module.zeroGrad`).
   *
   * @example
   * ```ts
   * optimizer.zeroGrad({ setToNone: false });
   * ```
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    for (const group of this.paramGroups) zeroGrads(group.params, options.setToNone ?? true);
  }

  /**
   * The state (step counts and moments) and the groups' hyper-parameters. The tensors are the
   * optimizer's own, updated in place by later steps (as PyTorch): serialise them before the next
   * step, and do not dispose them. `stateDictJson()` gives a copy as plain numbers.
   *
   * @example
   * ```ts
   * const saved = optimizer.stateDict();
   * ```
   */
  stateDict(): OptimizerStateDict<Omit<H, 'params'>> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...hyper } = group;
      return { ...copyHyper(hyper), params: params.map((p) => { index.set(p, index.size); return index.size - 1; }) } as { params: number[] } & Omit<H, 'params'>;
    });
    const state: Record<string, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[String(i)] = { ...s };
    }
    return { state, paramGroups };
  }

  /**
   * The state dict with every tensor read back as an array of numbers, ready for `JSON.stringify`
   * (a `trainer_state.json`). Asynchronous because GPU backends read asynchronously.
   *
   * @example
   * ```ts
   * await writeFile('trainer_state.json', JSON.stringify({ optimizer: await optimizer.stateDictJson() }));
   * ```
   */
  async stateDictJson(): Promise<OptimizerStateDict<Omit<H, 'params'>, { step: number } & Record<string, number | number[]>>> {
    const sd = this.stateDict();
    const state: Record<string, { step: number } & Record<string, number | number[]>> = {};
    for (const [key, s] of Object.entries(sd.state)) {
      const out: Record<string, number | number[]> = {};
      for (const [name, value] of Object.entries(s)) out[name] = typeof value === 'number' ? value : Array.from(await value.data());
      state[key] = out as { step: number } & Record<string, number | number[]>;
    }
    return { state, paramGroups: sd.paramGroups };
  }

  /**
   * Restores state saved by `stateDict()` or `stateDictJson()` (tensors or number arrays): the
   * groups' hyper-parameters and, by parameter index, step counts and moments (copied). The
   * group structure must match: same number of groups and of parameters in each.
   *
   * @example
   * ```ts
   * optimizer.loadStateDict(JSON.parse(await readFile('trainer_state.json', 'utf8')).optimizer);
   * ```
   */
  loadStateDict(stateDict: OptimizerStateDict<Partial<H>, ParamStateInput>): void {
    const name = this.name;
    if (!stateDict || typeof stateDict !== 'object' || !Array.isArray(stateDict.paramGroups) || typeof stateDict.state !== 'object' || stateDict.state === null) {
      throw new TypeError(`${name}.loadStateDict: expected { state, paramGroups }, got ${describeValue(stateDict)}`);
    }
    const saved = stateDict.paramGroups;
    if (saved.length !== this.paramGroups.length) {
      throw new RangeError(`${name}.loadStateDict: the state dict has ${saved.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((group, g) => {
      const own = this.paramGroups[g].params;
      if (!Array.isArray(group.params) || group.params.length !== own.length) {
        throw new RangeError(`${name}.loadStateDict: paramGroups[${g}] has ${Array.isArray(group.params) ? group.params.length : 'no'} parameters in the state dict, ${own.length} in the optimizer`);
      }
      group.params.forEach((index, i) => byIndex.set(index, own[i]));
    });
    // Validate everything before changing anything.
    const restored = new Map<Tensor, [string, ParamStateInput]>();
    for (const [key, s] of Object.entries(stateDict.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new RangeError(`${name}.loadStateDict: state entry '${key}' names no parameter of the saved groups`);
      if (!s || typeof s.step !== 'number' || !(s.step >= 0)) throw new TypeError(`${name}.loadStateDict: state '${key}'.step must be a non-negative number, got ${describeValue(s?.step)}`);
      for (const [field, value] of Object.entries(s)) {
        if (typeof value === 'number') continue;
        const size = isTensor(value) ? value.size : (value as ArrayLike<number>).length;
        if (size === undefined) throw new TypeError(`${name}.loadStateDict: state '${key}'.${field} must be a tensor, a number array or a number, got ${describeValue(value)}`);
        if (size !== p.size) throw new RangeError(`${name}.loadStateDict: state '${key}'.${field} has ${size} elements, its parameter (shape [${p.shape.join(', ')}]) has ${p.size}`);
      }
      restored.set(p, [key, s]);
    }
    saved.forEach((group, g) => {
      const { params: _params, ...hyper } = group;
      const merged = { ...this.paramGroups[g], ...copyHyper(hyper) } as ParamGroup<H>;
      this.validateGroup(merged, `paramGroups[${g}]`);
    });
    saved.forEach((group, g) => {
      const { params: _params, ...hyper } = group;
      Object.assign(this.paramGroups[g], copyHyper(hyper));
    });
    this.disposeState();
    noGrad(() => {
      for (const [p, [, s]] of restored) {
        const state = { step: s.step } as ParamState;
        for (const [field, value] of Object.entries(s)) {
          if (field === 'step') continue;
          if (typeof value === 'number') state[field] = value;
          else state[field] = keep(copyForState(value, p));
        }
        this.state.set(p, state);
      }
    });
  }

  /**
   * Frees the optimizer's state tensors (moments). The parameters are untouched.
   *
   * @example
   * ```ts
   * optimizer.dispose();
   * ```
   */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const value of Object.values(s)) if (typeof value !== 'number') value.dispose();
    this.state.clear();
  }
}

/** A private float32 copy of saved state shaped like its parameter `p`, on p's backend. */
function copyForState(value: Tensor | readonly number[] | Float32Array, p: Tensor): Tensor {
  if (!isTensor(value)) return tensor(Float32Array.from(value), { shape: p.shape, backend: p.backend });
  if (value.backend !== p.backend) return tensor(value.dataSync() as Float32Array, { shape: p.shape, backend: p.backend });
  const copy = value.dtype === 'float32' ? clone(value) : value.float();
  if (copy.shape.length === p.shape.length && copy.shape.every((d, i) => d === p.shape[i])) return copy;
  const reshaped = copy.reshape(p.shape.slice());
  copy.dispose();
  return reshaped;
}

/** `value` without its undefined fields, so `{ lr: undefined }` keeps the default lr. */
function definedOnly<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as T;
}

function isGroupList<H>(params: readonly unknown[]): params is readonly ParamGroupInput<H>[] {
  const first = params[0];
  return typeof first === 'object' && first !== null && !isTensor(first) && 'params' in first;
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { __isAttuneTensor?: boolean }).__isAttuneTensor === true;
}

/** Copies hyper-parameters, cloning arrays (betas) so a state dict never aliases a live group. */
function copyHyper<T extends object>(hyper: T): T {
  const out = { ...hyper } as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) if (Array.isArray(value)) out[key] = value.slice();
  return out as T;
}

function checkNonNegative(optimizer: string, where: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`${optimizer}: ${where}.${field} must be a non-negative number, got ${describeValue(value)}`);
}

function checkBoolean(optimizer: string, where: string, field: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new TypeError(`${optimizer}: ${where}.${field} must be a boolean, got ${describeValue(value)}`);
}

// ---- SGD --------------------------------------------------------------------------------------

/**
 * Hyper-parameters of `SGD` (torch.optim.SGD's, same defaults).
 *
 * @example
 * ```ts
 * const options: Partial<SGDOptions> = { lr: 0.1, momentum: 0.9 };
 * new SGD(new Linear(4, 2).parameters(), options);
 * ```
 */
export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Dampening τ of the gradient added to the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (Sutskever et al. 2013), needs momentum > 0 and dampening 0 (default false). */
  nesterov: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with torch.optim.SGD's exact update, per parameter:
 *
 *     g ← ∇ (negated when maximize); g ← g + λθ
 *     b ← g on the first step, else μb + (1 − τ)g;   g ← g + μb (Nesterov) or g ← b
 *     θ ← θ − lr·g
 *
 * @example
 * ```ts
 * const model = new Linear(4, 2);
 * const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<SGDOptions>[], options: Partial<SGDOptions> = {}) {
    super('SGD', params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...definedOnly(options) });
  }

  protected override validateGroup(group: SGDOptions, where: string): void {
    for (const field of ['lr', 'momentum', 'dampening', 'weightDecay'] as const) checkNonNegative('SGD', where, field, group[field]);
    checkBoolean('SGD', where, 'nesterov', group.nesterov);
    checkBoolean('SGD', where, 'maximize', group.maximize);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new RangeError(`SGD: ${where}.nesterov requires momentum > 0 and dampening 0, got momentum ${group.momentum} and dampening ${group.dampening}`);
    }
  }

  override step(): void {
    noGrad(() =>
      tidy(() => {
        for (const group of this.paramGroups) {
          const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
          for (const p of group.params) {
            const grad = p.grad;
            if (!grad) continue;
            checkGrad('SGD', p, grad);
            let g = maximize ? neg(grad) : grad;
            if (weightDecay !== 0) g = add(g, mul(p, weightDecay));
            let state = this.state.get(p);
            if (!state) {
              state = { step: 0 };
              this.state.set(p, state);
            }
            state.step += 1;
            if (momentum !== 0) {
              let buffer = state.momentumBuffer as Tensor | undefined;
              if (!buffer) {
                buffer = keep(clone(g));
                state.momentumBuffer = buffer;
              } else {
                buffer.assign_(add(mul(buffer, momentum), mul(g, 1 - dampening)));
              }
              g = nesterov ? add(g, mul(buffer, momentum)) : buffer;
            }
            p.assign_(sub(p, mul(g, lr)));
          }
        }
      }),
    );
  }
}

// ---- Adam and AdamW ---------------------------------------------------------------------------

/**
 * Hyper-parameters of `Adam` and `AdamW` (torch.optim's names and defaults).
 *
 * @example
 * ```ts
 * const options: Partial<AdamOptions> = { lr: 3e-4, betas: [0.9, 0.999], eps: 1e-5 };
 * new Adam(new Linear(4, 2).parameters(), options);
 * ```
 */
export interface AdamOptions {
  /** Learning rate α (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first and second moment estimates (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** ε added to √v̂ in the denominator (default 1e-8; CleanRL's PPO uses 1e-5). */
  eps: number;
  /** Adam: L2 penalty λ added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay: number;
  /** AMSGrad (Reddi et al. 2018): divide by the running maximum of v (default false). */
  amsgrad: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize: boolean;
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) with torch.optim.Adam's exact update, per parameter at
 * step t:
 *
 *     g ← ∇ (negated when maximize);  g ← g + λθ   (Adam's L2 weight decay)
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²   (v_max ← max(v_max, v) with amsgrad)
 *     θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 *
 * Note ε is added after the bias correction of √v, as PyTorch does. The update runs in the
 * backend's fused `adamStep` kernel, in place; amsgrad composes ops instead.
 *
 * @example
 * ```ts
 * const agent = new MLP({ inFeatures: 4, hiddenSizes: [64, 64], outFeatures: 2 });
 * const optimizer = new Adam(agent.parameters(), { lr: 2.5e-4, eps: 1e-5 });
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  private readonly hyper: AdamStep = { lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0, decoupled: false, step: 0 };

  constructor(params: readonly Tensor[] | readonly ParamGroupInput<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    super(new.target.name, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...definedOnly(options) });
  }

  /** Whether weight decay is decoupled from the gradient (AdamW) rather than an L2 term (Adam). */
  protected get decoupledWeightDecay(): boolean {
    return false;
  }

  protected override validateGroup(group: AdamOptions, where: string): void {
    const optimizer = this.constructor.name;
    checkNonNegative(optimizer, where, 'lr', group.lr);
    checkNonNegative(optimizer, where, 'eps', group.eps);
    checkNonNegative(optimizer, where, 'weightDecay', group.weightDecay);
    checkBoolean(optimizer, where, 'amsgrad', group.amsgrad);
    checkBoolean(optimizer, where, 'maximize', group.maximize);
    const betas = group.betas;
    if (!Array.isArray(betas) || betas.length !== 2) throw new RangeError(`${optimizer}: ${where}.betas must be a pair [beta1, beta2], got ${describeValue(betas)}`);
    betas.forEach((beta, i) => {
      if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) throw new RangeError(`${optimizer}: ${where}.betas[${i}] must be in [0, 1), got ${describeValue(beta)}`);
    });
  }

  override step(): void {
    const hyper = this.hyper;
    hyper.decoupled = this.decoupledWeightDecay;
    for (const group of this.paramGroups) {
      hyper.lr = group.lr;
      hyper.beta1 = group.betas[0];
      hyper.beta2 = group.betas[1];
      hyper.eps = group.eps;
      hyper.weightDecay = group.weightDecay;
      for (const p of group.params) {
        const grad = p.grad;
        if (!grad) continue;
        checkGrad(this.constructor.name, p, grad);
        let state = this.state.get(p);
        if (!state) {
          // zerosLike allocates on p's backend; keep() so an enclosing tidy never frees the moments.
          state = { step: 0, expAvg: keep(zerosLike(p)), expAvgSq: keep(zerosLike(p)) };
          if (group.amsgrad) state.maxExpAvgSq = keep(zerosLike(p));
          this.state.set(p, state);
        }
        state.step += 1;
        hyper.step = state.step;
        const m = state.expAvg as Tensor;
        const v = state.expAvgSq as Tensor;
        if (group.amsgrad) {
          let vMax = state.maxExpAvgSq as Tensor | undefined;
          if (!vMax) vMax = state.maxExpAvgSq = keep(zerosLike(p)); // amsgrad switched on after steps without it
          amsgradStep(p, grad, m, v, vMax, hyper, group.maximize);
        } else if (group.maximize) {
          noGrad(() => {
            const negated = neg(grad);
            p.backend.adamStep(p.storage, negated.storage, m.storage, v.storage, p.size, hyper);
            negated.dispose();
          });
        } else {
          // The fused kernel: no allocation, one pass over θ, g, m, v.
          p.backend.adamStep(p.storage, grad.storage, m.storage, v.storage, p.size, hyper);
        }
      }
    }
  }
}

/** One AMSGrad step composed from ops (the fused kernel has no v_max), same formula as torch's. */
function amsgradStep(p: Tensor, grad: Tensor, m: Tensor, v: Tensor, vMax: Tensor, h: AdamStep, maximize: boolean): void {
  noGrad(() =>
    tidy(() => {
      let g = maximize ? neg(grad) : grad;
      let theta: Tensor = p;
      if (h.weightDecay !== 0) {
        if (h.decoupled) theta = mul(p, 1 - h.lr * h.weightDecay);
        else g = add(g, mul(p, h.weightDecay));
      }
      m.assign_(add(mul(m, h.beta1), mul(g, 1 - h.beta1)));
      v.assign_(add(mul(v, h.beta2), mul(mul(g, g), 1 - h.beta2)));
      vMax.assign_(maximum(vMax, v));
      const biasCorrection1 = 1 - Math.pow(h.beta1, h.step);
      const biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, h.step));
      const denominator = add(mul(sqrt(vMax), 1 / biasCorrection2Sqrt), h.eps);
      p.assign_(sub(theta, mul(m.div(denominator), h.lr / biasCorrection1)));
    }),
  );
}

/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, as torch.optim.AdamW —
 * θ ← θ·(1 − lr·λ) before the Adam update, instead of adding λθ to the gradient. Default λ = 1e-2.
 *
 * @example
 * ```ts
 * const gpt = new Sequential(new Embedding(16, 8), new Linear(8, 16)); // any module
 * const optimizer = new AdamW(gpt.parameters(), { lr: 6e-4, betas: [0.9, 0.95], weightDecay: 0.1 });
 * ```
 */
export class AdamW extends Adam {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...definedOnly(options) });
  }

  protected override get decoupledWeightDecay(): boolean {
    return true;
  }
}

function checkGrad(optimizer: string, p: Tensor, grad: Tensor): void {
  if (grad.size !== p.size || grad.dtype !== 'float32') {
    throw new Error(`${optimizer}: gradient of shape [${grad.shape.join(', ')}] (${grad.dtype}) does not match its parameter of shape [${p.shape.join(', ')}]`);
  }
}
