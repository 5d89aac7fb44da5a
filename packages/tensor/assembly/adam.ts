// One in-place Adam / AdamW step over a flat parameter, matching torch.optim.Adam and AdamW
// (amsgrad=False, foreach=False) operation for operation in float32 (torch's vectorised lerp may
// use a fused multiply-add, so m can differ from it in the last bit):
//   Adam weight decay:  g = g + weightDecay * p
//   AdamW weight decay: p = p * (1 - lr * weightDecay)
//   m.lerp_(g, 1 - beta1);  v = v * beta2 + (1 - beta2) * g * g
//   p = p + (-stepSize) * m / (sqrt(v) / sqrt(biasCorrection2) + eps)   (addcdiv: (value * m) / denom)
// The scalar coefficients are computed in double precision by the caller, as Python does.

/**
 * param, grad, m, v: `count` floats each. lerpWeight = 1 - beta1; squareWeight = 1 - beta2;
 * stepSize = lr / (1 - beta1^step); biasCorrection2Sqrt = sqrt(1 - beta2^step);
 * decayFactor = 1 - lr * weightDecay for AdamW (1 otherwise); gradDecay = weightDecay for Adam (0 otherwise).
 */
export function adam(
  param: usize, grad: usize, m: usize, v: usize, count: i32,
  lerpWeight: f32, beta2: f32, squareWeight: f32, eps: f32,
  stepSize: f32, biasCorrection2Sqrt: f32, decayFactor: f32, gradDecay: f32,
): void {
  // torch.lerp: start + w * (end - start) when |w| < 0.5, else end - (end - start) * (1 - w).
  const lerpFromStart = Mathf.abs(lerpWeight) < 0.5;
  const w = f32x4.splat(lerpWeight);
  const oneMinusW = f32x4.splat(<f32>1 - lerpWeight);
  const beta2Vector = f32x4.splat(beta2);
  const squareWeightVector = f32x4.splat(squareWeight);
  const epsVector = f32x4.splat(eps);
  const negativeStep = f32x4.splat(-stepSize);
  const correction = f32x4.splat(biasCorrection2Sqrt);
  const decay = f32x4.splat(decayFactor);
  const gradDecayVector = f32x4.splat(gradDecay);
  const applyDecay = decayFactor != 1;
  const applyGradDecay = gradDecay != 0;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = <usize>i << 2;
    let p = v128.load(param + offset);
    let g = v128.load(grad + offset);
    if (applyGradDecay) g = f32x4.add(g, f32x4.mul(gradDecayVector, p));
    if (applyDecay) p = f32x4.mul(p, decay);
    let mean = v128.load(m + offset);
    const difference = f32x4.sub(g, mean);
    mean = lerpFromStart
      ? f32x4.add(mean, f32x4.mul(w, difference))
      : f32x4.sub(g, f32x4.mul(difference, oneMinusW));
    let square = v128.load(v + offset);
    square = f32x4.add(f32x4.mul(square, beta2Vector), f32x4.mul(f32x4.mul(squareWeightVector, g), g));
    const denominator = f32x4.add(f32x4.div(f32x4.sqrt(square), correction), epsVector);
    p = f32x4.add(p, f32x4.div(f32x4.mul(negativeStep, mean), denominator));
    v128.store(param + offset, p);
    v128.store(m + offset, mean);
    v128.store(v + offset, square);
  }
  for (; i < count; i++) {
    const offset = <usize>i << 2;
    let p = load<f32>(param + offset);
    let g = load<f32>(grad + offset);
    if (applyGradDecay) g = g + gradDecay * p;
    if (applyDecay) p = p * decayFactor;
    let mean = load<f32>(m + offset);
    const difference = g - mean;
    mean = lerpFromStart ? mean + lerpWeight * difference : g - difference * (<f32>1 - lerpWeight);
    let square = load<f32>(v + offset);
    square = square * beta2 + squareWeight * g * g;
    const denominator = Mathf.sqrt(square) / biasCorrection2Sqrt + eps;
    p = p + (-stepSize * mean) / denominator;
    store<f32>(param + offset, p);
    store<f32>(m + offset, mean);
    store<f32>(v + offset, square);
  }
}
