// Module: the base class of every layer and model. It owns named parameters, buffers and child
// modules with PyTorch's dotted names (`fc1.weight`, `0.bias`), train/eval mode, state dicts
// and disposal of everything it holds.

import { clone, keep, noGrad, tensor, type Tensor } from '@attune/tensor';

/**
 * Parameters and persistent buffers by dotted name, as `torch.nn.Module.state_dict()`.
 *
 * @example
 * ```ts
 * const state: StateDict = new Linear(4, 2).stateDict();
 * Object.keys(state); // ['weight', 'bias']
 * ```
 */
export type StateDict = Record<string, Tensor>;

/**
 * Options of `Module.loadStateDict`.
 *
 * @example
 * ```ts
 * const source = new Linear(4, 2);
 * const target = new Linear(4, 2, { bias: false });
 * const options: LoadStateDictOptions = { strict: false };
 * target.loadStateDict(source.stateDict(), options); // ignores the extra 'bias'
 * ```
 */
export interface LoadStateDictOptions {
  /**
   * Require the keys to match exactly (PyTorch's default `strict=True`). With `false`, missing and
   * unexpected keys are reported in the result instead; shape and dtype mismatches always throw.
   */
  strict?: boolean;
}

/**
 * What `Module.loadStateDict` found, as PyTorch's `_IncompatibleKeys`.
 *
 * @example
 * ```ts
 * const target = new Linear(4, 2, { bias: false });
 * const { missingKeys, unexpectedKeys }: LoadStateDictResult = target.loadStateDict(new Linear(4, 2).stateDict(), { strict: false });
 * unexpectedKeys; // ['bias']
 * ```
 */
export interface LoadStateDictResult {
  /** Keys the module expects but the state dict lacks. */
  missingKeys: string[];
  /** Keys in the state dict the module does not have. */
  unexpectedKeys: string[];
}

/**
 * Options of `Module.registerParameter`.
 *
 * @example
 * ```ts
 * import { zeros, type Tensor } from '@attune/tensor';
 * class Scale extends Module<[Tensor], Tensor> {
 *   readonly logScale = this.registerParameter('logScale', zeros([1]), { requiresGrad: true } satisfies RegisterParameterOptions);
 *   override forward(x: Tensor): Tensor {
 *     return x.mul(this.logScale.exp());
 *   }
 * }
 * new Scale().parameters().length; // 1
 * ```
 */
export interface RegisterParameterOptions {
  /** Whether the parameter records gradients (PyTorch's `nn.Parameter(requires_grad=True)` default). */
  requiresGrad?: boolean;
}

/**
 * Options of `Module.registerBuffer`.
 *
 * @example
 * ```ts
 * import { zeros, type Tensor } from '@attune/tensor';
 * class Normaliser extends Module<[Tensor], Tensor> {
 *   readonly mean = this.registerBuffer('mean', zeros([4]), { persistent: true } satisfies RegisterBufferOptions);
 *   override forward(x: Tensor): Tensor {
 *     return x.sub(this.mean);
 *   }
 * }
 * new Normaliser().stateDict(); // { mean }
 * ```
 */
export interface RegisterBufferOptions {
  /** Whether the buffer is part of `stateDict()` (PyTorch's `persistent`, default true). */
  persistent?: boolean;
}

/**
 * Any module, whatever its `forward` signature.
 *
 * @example
 * ```ts
 * const modules: AnyModule[] = [new Linear(4, 2), new Tanh()];
 * modules.map((m) => m.parameters().length); // [2, 0]
 * ```
 */
export type AnyModule = Module<never[], unknown>;

/**
 * The base class of layers and models, like `torch.nn.Module`.
 *
 * Members are registered explicitly, not discovered from properties: a subclass calls
 * `registerParameter`, `registerBuffer` and `registerModule` in its constructor (each returns its
 * argument, so the result can be stored in a typed field) and names come from those calls, in
 * registration order. Registered tensors are `keep`-ed, so building a model inside `tidy` is safe;
 * they live until `dispose()`.
 *
 * `Input` and `Output` type `forward`; a container without a forward (an actor-critic agent with
 * `getValue` and `getAction`) need not define one.
 *
 * @example
 * ```ts
 * import type { Tensor } from '@attune/tensor';
 * class TwoLayer extends Module<[Tensor], Tensor> {
 *   readonly fc1 = this.registerModule('fc1', new Linear(4, 8));
 *   readonly fc2 = this.registerModule('fc2', new Linear(8, 2));
 *   override forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu());
 *   }
 * }
 * new TwoLayer().namedParameters().map(([name]) => name); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module<Input extends unknown[] = [Tensor], Output = Tensor> {
  /** True in training mode (dropout active), false after `eval()`. */
  training = true;
  private readonly parameterSlots = new Map<string, Tensor | null>();
  private readonly bufferSlots = new Map<string, Tensor | null>();
  private readonly nonPersistentBuffers = new Set<string>();
  private readonly moduleSlots = new Map<string, AnyModule>();

  /**
   * Computes the module's output. Subclasses override it with their own signature; the base
   * implementation throws.
   *
   * @example
   * ```ts
   * const y = new Linear(4, 2).forward(randn([8, 4])); // shape [8, 2]
   * ```
   */
  forward(...inputs: Input): Output {
    void inputs;
    throw new Error(`${this.constructor.name} does not implement forward()`);
  }

  // ---- registration -------------------------------------------------------------------------

  /**
   * Registers `value` as the parameter `name` (a leaf float32 tensor; `null` for an absent optional
   * parameter such as a disabled bias), turns on its gradients and keeps it alive past `tidy`.
   * Registering a name again replaces the entry (the old tensor is not disposed).
   *
   * @example
   * ```ts
   * this.weight = this.registerParameter('weight', zeros([out, in]));
   * ```
   */
  registerParameter<T extends Tensor | null>(name: string, value: T, options: RegisterParameterOptions = {}): T {
    this.checkName('registerParameter', name, this.parameterSlots);
    if (value !== null) {
      if (value.isDisposed) throw new Error(`registerParameter: the tensor for '${name}' was disposed`);
      if (!value.isLeaf) throw new Error(`registerParameter: '${name}' must be a leaf tensor (call detach() on a computed tensor first)`);
      if (value.dtype !== 'float32') throw new TypeError(`registerParameter: '${name}' must have dtype float32, got ${value.dtype}`);
      value.requiresGrad = options.requiresGrad ?? true;
      keep(value);
    }
    this.parameterSlots.set(name, value);
    return value;
  }

  /**
   * Registers a buffer: state that is not trained (running statistics, a causal mask). Persistent
   * buffers are saved in `stateDict()`.
   *
   * @example
   * ```ts
   * this.mask = this.registerBuffer('mask', tril(ones([T, T])), { persistent: false });
   * ```
   */
  registerBuffer<T extends Tensor | null>(name: string, value: T, options: RegisterBufferOptions = {}): T {
    this.checkName('registerBuffer', name, this.bufferSlots);
    if (value !== null) {
      if (value.isDisposed) throw new Error(`registerBuffer: the tensor for '${name}' was disposed`);
      keep(value);
    }
    this.bufferSlots.set(name, value);
    if (options.persistent ?? true) this.nonPersistentBuffers.delete(name);
    else this.nonPersistentBuffers.add(name);
    return value;
  }

  /**
   * Registers a child module under `name`; its members appear as `name.…`.
   *
   * @example
   * ```ts
   * this.fc1 = this.registerModule('fc1', new Linear(4, 64));
   * ```
   */
  registerModule<M extends AnyModule>(name: string, module: M): M {
    this.checkName('registerModule', name, this.moduleSlots);
    if (!(module instanceof Module)) throw new TypeError(`registerModule: '${name}' must be a Module, got ${describeValue(module)}`);
    if ((module as AnyModule) === (this as unknown as AnyModule)) throw new Error(`registerModule: a module cannot be its own child ('${name}')`);
    this.moduleSlots.set(name, module);
    return module;
  }

  private checkName(op: string, name: string, own: Map<string, unknown>): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${op}: name must be a non-empty string, got ${describeValue(name)}`);
    if (name.includes('.')) throw new RangeError(`${op}: name '${name}' must not contain '.' (dots separate nested modules)`);
    for (const [kind, slots] of [
      ['parameter', this.parameterSlots],
      ['buffer', this.bufferSlots],
      ['module', this.moduleSlots],
    ] as const) {
      if (slots !== own && slots.has(name)) throw new Error(`${op}: '${name}' is already registered as a ${kind} of ${this.constructor.name}`);
    }
  }

  // ---- traversal ----------------------------------------------------------------------------

  /**
   * This module and every descendant with its dotted name (`''` for this one), depth first in
   * registration order; a module reachable twice is listed once.
   *
   * @example
   * ```ts
   * new Sequential(new Linear(2, 2), new Tanh()).namedModules().map(([n]) => n); // ['', '0', '1']
   * ```
   */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const visit = (module: AnyModule, name: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([name, module]);
      for (const [childName, child] of (module as Module<unknown[], unknown>).moduleSlots) visit(child, name ? `${name}.${childName}` : childName);
    };
    visit(this as unknown as AnyModule, prefix);
    return out;
  }

  /** Every module in the tree (this one first). @example `model.modules().length` */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The direct children with their names. @example `seq.namedChildren()[0][0] // '0'` */
  namedChildren(): [string, AnyModule][] {
    return [...this.moduleSlots];
  }

  /** The direct children. @example `mlp.children().length` */
  children(): AnyModule[] {
    return [...this.moduleSlots.values()];
  }

  /**
   * Parameters with dotted names matching PyTorch's (`0.weight`, `fc1.bias`); a tensor shared by two
   * modules (tied weights) is listed once, under its first name. `recurse: false` lists only this
   * module's own.
   *
   * @example
   * ```ts
   * new Linear(3, 2).namedParameters().map(([n, p]) => `${n} ${p.shape}`); // ['weight 2,3', 'bias 2']
   * ```
   */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    return this.collect('parameterSlots', prefix, recurse);
  }

  /** The parameters, in `namedParameters` order. @example `new Adam(model.parameters(), { lr: 3e-4 })` */
  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers with dotted names (persistent or not). @example `model.namedBuffers()` */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.collect('bufferSlots', prefix, recurse);
  }

  /** The buffers. @example `model.buffers().length` */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  private collect(kind: 'parameterSlots' | 'bufferSlots', prefix: string, recurse: boolean): [string, Tensor][] {
    const modules: [string, AnyModule][] = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as AnyModule]];
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [moduleName, module] of modules) {
      for (const [name, tensor] of (module as Module<unknown[], unknown>)[kind]) {
        if (tensor === null || seen.has(tensor)) continue;
        seen.add(tensor);
        out.push([moduleName ? `${moduleName}.${name}` : name, tensor]);
      }
    }
    return out;
  }

  /**
   * Number of parameter elements (each shared tensor counted once).
   *
   * @example
   * ```ts
   * new Linear(4, 64).numParameters(); // 320
   * ```
   */
  numParameters(options: { onlyTrainable?: boolean } = {}): number {
    let total = 0;
    for (const p of this.parameters()) if (!options.onlyTrainable || p.requiresGrad) total += p.size;
    return total;
  }

  /**
   * Calls `fn` on every descendant and then on this module (children first, as PyTorch), for
   * custom initialisation.
   *
   * @example
   * ```ts
   * model.apply((m) => { if (m instanceof Linear) init.orthogonal_(m.weight, Math.SQRT2); });
   * ```
   */
  apply(fn: (module: AnyModule) => void): this {
    for (const child of this.moduleSlots.values()) child.apply(fn);
    fn(this as unknown as AnyModule);
    return this;
  }

  // ---- modes and gradients ------------------------------------------------------------------

  /**
   * Sets training mode (`mode` true) or evaluation mode on this module and every descendant.
   *
   * @example
   * ```ts
   * model.train(); // dropout on
   * ```
   */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. @example `model.eval()` */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clears every parameter's gradient: disposes it and sets `grad` to null (PyTorch's default
   * `set_to_none=True`), or with `setToNone: false` replaces it by zeros.
   *
   * @example
   * ```ts
   * model.zeroGrad();
   * ```
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    zeroGrads(this.parameters(), options.setToNone ?? true);
  }

  // ---- state dicts --------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name. The tensors are the module's own (not
   * copies, like PyTorch): do not dispose them, and `clone()` one to snapshot it. Tied weights
   * appear under each of their names.
   *
   * @example
   * ```ts
   * const bytes = saveSafetensors(model.stateDict());
   * ```
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    const visit = (module: Module<unknown[], unknown>, prefix: string): void => {
      for (const [name, p] of module.parameterSlots) if (p) out[prefix + name] = p;
      for (const [name, b] of module.bufferSlots) if (b && !module.nonPersistentBuffers.has(name)) out[prefix + name] = b;
      for (const [name, child] of module.moduleSlots) visit(child as Module<unknown[], unknown>, `${prefix}${name}.`);
    };
    visit(this as Module<unknown[], unknown>, '');
    return out;
  }

  /**
   * Copies values into the parameters and persistent buffers by name. Every entry is checked before
   * anything is written: a shape or dtype mismatch throws naming the key and both shapes, and with
   * `strict` (the default) so do missing or unexpected keys. Values are copied, so the caller keeps
   * ownership of `state`.
   *
   * @example
   * ```ts
   * const { tensors } = await loadFile('model.safetensors');
   * model.loadStateDict(tensors);
   * dispose(tensors);
   * ```
   */
  loadStateDict(state: StateDict | ReadonlyMap<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries: Map<string, Tensor> = state instanceof Map ? new Map(state) : new Map(Object.entries(state as StateDict));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((key) => !entries.has(key));
    const unexpectedKeys = [...entries.keys()].filter((key) => !(key in own));
    const errors: string[] = [];
    if (strict && unexpectedKeys.length > 0) errors.push(`Unexpected key(s) in state dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
    if (strict && missingKeys.length > 0) errors.push(`Missing key(s) in state dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
    for (const [key, target] of Object.entries(own)) {
      const value = entries.get(key);
      if (value === undefined) continue;
      if (!isTensor(value)) {
        errors.push(`value for "${key}" is not a Tensor (got ${describeValue(value)}).`);
      } else if (value.isDisposed) {
        errors.push(`value for "${key}" was disposed.`);
      } else if (!sameShape(value.shape, target.shape)) {
        errors.push(`size mismatch for "${key}": copying a tensor of shape [${value.shape.join(', ')}] from the state dict, the shape in the current model is [${target.shape.join(', ')}].`);
      } else if (value.dtype !== target.dtype) {
        errors.push(`dtype mismatch for "${key}": the state dict holds ${value.dtype}, the current model expects ${target.dtype}.`);
      } else if (value.backend !== target.backend && !value.backend.readSync) {
        errors.push(`backend mismatch for "${key}": the state dict's tensor is on '${value.backend.name}', which reads only asynchronously, the model's on '${target.backend.name}' (move it first: await t.to(backend)).`);
      }
    }
    if (errors.length > 0) throw new Error(`Error(s) in loading state dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    noGrad(() => {
      for (const [key, target] of Object.entries(own)) {
        const value = entries.get(key);
        if (value === undefined) continue;
        // A private copy: the optimizer updates parameters in place, which must not write into the caller's tensor.
        // From a synchronous backend (a checkpoint read on the CPU) into another one (a model on WebGPU), the
        // copy is an upload of the host values.
        const copy = value.backend === target.backend ? clone(value) : tensor(value.dataSync(), { shape: value.shape, dtype: value.dtype, backend: target.backend });
        target.assign_(copy);
        copy.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Disposes every parameter and buffer in the tree (and their gradients). The module must not be
   * used afterwards.
   *
   * @example
   * ```ts
   * model.dispose();
   * memory().numTensors; // back to where it was before the model
   * ```
   */
  dispose(): void {
    for (const [, module] of this.namedModules()) {
      const m = module as Module<unknown[], unknown>;
      for (const p of m.parameterSlots.values()) p?.dispose();
      for (const b of m.bufferSlots.values()) b?.dispose();
    }
  }

  // ---- printing -----------------------------------------------------------------------------

  /** The constructor arguments shown by `toString()`; subclasses override it. @example `'in=4, out=64, bias=true'` */
  extraRepr(): string {
    return '';
  }

  /**
   * A tree of the modules, like PyTorch's repr.
   *
   * @example
   * ```ts
   * console.log(String(new MLP({ inFeatures: 4, hiddenSizes: [64], outFeatures: 2 })));
   * ```
   */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this.moduleSlots.size === 0) return `${head})`;
    const lines = [...this.moduleSlots].map(([name, child]) => `  (${name}): ${String(child).replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

/** @internal Clears gradients of `parameters` (shared by `Module.zeroGrad` and `Optimizer.zeroGrad`). */
export function zeroGrads(parameters: readonly Tensor[], setToNone: boolean): void {
  for (const p of parameters) {
    const grad = p.grad;
    if (!grad) continue;
    if (setToNone) {
      p.grad = null;
      grad.isKeptAsGrad = false;
      grad.dispose();
    } else {
      grad.zero_();
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { __isAttuneTensor?: boolean }).__isAttuneTensor === true;
}

/** @internal A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
