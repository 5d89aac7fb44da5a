// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_: rescales or clamps
// the `.grad` of each parameter in place (by replacing its storage) after `backward()`.

import { abs, add, clamp, matmul, max, maximum, mul, noGrad, pow, sqrt, sum, tidy, type Tensor } from '@attune/tensor';

/**
 * Options of `clipGradNorm`.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const model = new Linear(4, 2);
 * model.forward(randn([8, 4])).sum().backward();
 * const options: ClipGradNormOptions = { errorIfNonfinite: true };
 * clipGradNorm(model.parameters(), 1.0, 2, options);
 * ```
 */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling the gradients by it (default false, as PyTorch). */
  errorIfNonfinite?: boolean;
}

function gradsOf(parameters: Tensor | readonly Tensor[]): Tensor[] {
  const list = Array.isArray(parameters) ? (parameters as readonly Tensor[]) : [parameters as Tensor];
  const grads: Tensor[] = [];
  for (const p of list) if (p.grad) grads.push(p.grad);
  return grads;
}

/** ‖all gradients‖_p as a scalar tensor: (Σ|g|ᵖ)^(1/p), or max|g| for p = ∞. */
function totalNormOf(grads: readonly Tensor[], normType: number): Tensor {
  return noGrad(() =>
    tidy(() => {
      let total: Tensor | null = null;
      for (const g of grads) {
        let part: Tensor;
        if (normType === Infinity) part = max(abs(g));
        else if (normType === 2) {
          const flat = g.reshape([-1]); // a view
          part = matmul(flat, flat); // gᵀg in one kernel: cheaper than sum(square(g)) for small tensors
        }
        else if (normType === 1) part = sum(abs(g));
        else part = sum(pow(abs(g), normType));
        total = total === null ? part : normType === Infinity ? maximum(total, part) : add(total, part);
      }
      const t = total as Tensor;
      if (normType === Infinity || normType === 1) return t;
      return normType === 2 ? sqrt(t) : pow(t, 1 / normType);
    }),
  );
}

function checkNorm(op: string, maxNorm: number, normType: number): void {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`${op}: maxNorm must be a non-negative number, got ${maxNorm}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new RangeError(`${op}: normType must be a positive number or Infinity, got ${normType}`);
}

/** Scales every gradient by min(1, maxNorm / (total + 1e-6)), as PyTorch (which also scales by NaN). */
function scaleGrads(op: string, parameters: Tensor | readonly Tensor[], total: number, maxNorm: number, normType: number, options: ClipGradNormOptions): void {
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`${op}: the total norm of order ${normType} for gradients is non-finite (${total}), so it cannot be clipped; set errorIfNonfinite: false to scale anyway`);
  }
  const coefficient = maxNorm / (total + 1e-6);
  if (coefficient >= 1) return; // clamped to 1: multiplying would change nothing
  const list = Array.isArray(parameters) ? (parameters as readonly Tensor[]) : [parameters as Tensor];
  noGrad(() => {
    for (const p of list) {
      const grad = p.grad;
      if (!grad) continue;
      const scaled = mul(grad, coefficient);
      grad.assign_(scaled);
      scaled.dispose();
    }
  });
}

/**
 * Rescales the gradients of `parameters` so that their joint p-norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: total = ‖(‖g₁‖, …, ‖gₙ‖)‖_p over parameters that have a
 * gradient, and each gradient is multiplied by min(1, maxNorm / (total + 1e-6)). Returns the total
 * norm before clipping, as a number (0 when no parameter has a gradient). Reads one number back,
 * synchronously: on an asynchronous backend use `clipGradNormAsync`.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const agent = new Linear(4, 2);
 * const optimizer = new Adam(agent.parameters(), { lr: 1e-3 });
 * const loss = agent.forward(randn([8, 4])).square().mean();
 * loss.backward();
 * const gradNorm = clipGradNorm(agent.parameters(), 0.5); // CleanRL's max_grad_norm
 * optimizer.step();
 * ```
 */
export function clipGradNorm(parameters: Tensor | readonly Tensor[], maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): number {
  checkNorm('clipGradNorm', maxNorm, normType);
  const grads = gradsOf(parameters);
  if (grads.length === 0) return 0;
  const totalTensor = totalNormOf(grads, normType);
  const total = totalTensor.dataSync()[0];
  totalTensor.dispose();
  scaleGrads('clipGradNorm', parameters, total, maxNorm, normType, options);
  return total;
}

/**
 * `clipGradNorm` for any backend: the same clipping, with the total norm read back asynchronously.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const model = new Linear(4, 2);
 * model.forward(randn([8, 4])).sum().backward();
 * const gradNorm = await clipGradNormAsync(model.parameters(), 1.0);
 * ```
 */
export async function clipGradNormAsync(parameters: Tensor | readonly Tensor[], maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Promise<number> {
  checkNorm('clipGradNormAsync', maxNorm, normType);
  const grads = gradsOf(parameters);
  if (grads.length === 0) return 0;
  const totalTensor = totalNormOf(grads, normType);
  const total = (await totalTensor.data())[0];
  totalTensor.dispose();
  scaleGrads('clipGradNormAsync', parameters, total, maxNorm, normType, options);
  return total;
}

/**
 * Clamps every gradient element into [−clipValue, clipValue], as `torch.nn.utils.clip_grad_value_`.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const model = new Linear(4, 2);
 * model.forward(randn([8, 4])).sum().backward();
 * clipGradValue(model.parameters(), 1.0);
 * ```
 */
export function clipGradValue(parameters: Tensor | readonly Tensor[], clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be a non-negative number, got ${clipValue}`);
  const list = Array.isArray(parameters) ? (parameters as readonly Tensor[]) : [parameters as Tensor];
  noGrad(() => {
    for (const p of list) {
      const grad = p.grad;
      if (!grad) continue;
      const clamped = clamp(grad, -clipValue, clipValue);
      grad.assign_(clamped);
      clamped.dispose();
    }
  });
}
