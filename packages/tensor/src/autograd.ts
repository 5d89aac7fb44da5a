// Reverse-mode automatic differentiation. Each differentiable op records a node holding its
// inputs and a backward function written once, above the backends, in terms of other ops.
// `backward()` walks the graph in reverse topological order and accumulates leaf gradients.

import { engine, tidy, withGradEnabled } from './engine.js';
import { formatShape, shapesEqual } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Maps the gradient of an op's output to the gradients of its inputs (null where none flows).
 *
 * @example
 * ```ts
 * // The backward of y = 2·x: dL/dx = 2·dL/dy.
 * const double: BackwardFn = (grad) => [grad.mul(2)];
 * ```
 */
export type BackwardFn = (grad: Tensor) => readonly (Tensor | null | undefined)[];

/**
 * A recorded operation in the autograd graph, the analogue of PyTorch's `grad_fn`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const y = x.mul(3);
 * const node: GradNode | null = y.gradFn;
 * node?.name; // 'mul'
 * ```
 */
export interface GradNode {
  /** The op's name, e.g. `'matmul'`. */
  readonly name: string;
  /** The op's tensor inputs, in the order `backward` returns their gradients. */
  readonly inputs: readonly Tensor[];
  /** The backward function. */
  readonly backward: BackwardFn;
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(a: Tensor, b?: Tensor | number | null, c?: Tensor | number | null): boolean {
  if (!engine.gradEnabled) return false;
  return a.requiresGrad || (typeof b === 'object' && b !== null && b.requiresGrad) || (typeof c === 'object' && c !== null && c.requiresGrad);
}

/** Attaches a grad node to `output` when gradient recording is on and an input requires grad. */
export function record(output: Tensor, name: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!engine.gradEnabled) return output;
  let any = false;
  for (const input of inputs) if (input.requiresGrad) any = true;
  if (!any) return output;
  output.setGradFn({ name, inputs, backward });
  return output;
}

/**
 * Options of `Tensor.backward`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const y = x.square().sum();
 * const options: BackwardOptions = { retainGraph: true };
 * y.backward(undefined, options);
 * y.backward(); // runs through the kept graph again: x.grad doubles
 * ```
 */
export interface BackwardOptions {
  /** Keep the graph so `backward` can run through it again (PyTorch's `retain_graph`). */
  retainGraph?: boolean;
}

/** Runs backpropagation from `root`; see `Tensor.backward`. */
export function backward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad and has no grad_fn (did you compute it under noGrad or from detached tensors?)');
  }
  if (!gradient && root.size !== 1) {
    throw new Error(`backward: grad can be implicitly created only for scalar outputs, but the tensor has shape ${formatShape(root.shape)}; pass a gradient of the same shape`);
  }
  if (gradient && !shapesEqual(gradient.shape, root.shape)) {
    throw new RangeError(`backward: gradient shape ${formatShape(gradient.shape)} does not match the tensor's shape ${formatShape(root.shape)}`);
  }
  const order = topologicalOrder(root);
  withGradEnabled(false, () => {
    // Intermediate gradients live only for this call; leaf gradients are kept by `accumulateGrad`.
    const grads = new Map<Tensor, Tensor>();
    const created: Tensor[] = [];
    // The caller's gradient is copied so that disposing it later cannot free a leaf's `.grad`.
    const seed = gradient ? gradient.clone() : root.onesLike();
    grads.set(root, seed);
    created.push(seed);
    try {
      for (let i = order.length - 1; i >= 0; i--) {
        const tensor = order[i];
        const grad = grads.get(tensor);
        if (!grad) continue;
        const node = tensor.gradFn;
        if (!node) {
          tensor.accumulateGrad(grad);
          continue;
        }
        let inputGrads: readonly (Tensor | null | undefined)[];
        try {
          // Temporaries of the backward function are freed at once; its results join `created`.
          inputGrads = tidy(() => node.backward(grad) as (Tensor | null | undefined)[]);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`backward of '${node.name}' failed: ${message} (tensors needed for gradients must stay alive until backward)`, { cause: error });
        }
        for (let j = 0; j < node.inputs.length; j++) {
          const input = node.inputs[j];
          const g = inputGrads[j];
          if (!g) continue;
          created.push(g);
          if (!input.requiresGrad) continue;
          if (!shapesEqual(g.shape, input.shape)) {
            throw new Error(`backward: '${node.name}' produced a gradient of shape ${formatShape(g.shape)} for an input of shape ${formatShape(input.shape)} (internal error)`);
          }
          const previous = grads.get(input);
          if (previous) {
            const sum = previous.add(g);
            created.push(sum);
            grads.set(input, sum);
          } else {
            grads.set(input, g);
          }
        }
        if (!options.retainGraph) tensor.setGradFn(freedNode(node.name));
      }
    } finally {
      for (const t of created) if (!t.isKeptAsGrad) t.dispose();
    }
  });
}

/** Stands in for a node whose saved state backward released, so a second pass fails loudly as in PyTorch. */
function freedNode(name: string): GradNode {
  return {
    name,
    inputs: [],
    backward: () => {
      throw new Error(`trying to backward through the graph a second time; its buffers were freed. Pass { retainGraph: true } to the first backward() to keep them`);
    },
  };
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: graphs of deep networks would overflow the call stack recursively.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}
