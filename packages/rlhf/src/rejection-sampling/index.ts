// Rejection-sampling fine-tuning (Llama 2, §3.2.3): best-of-K sampling and the sample → select →
// fine-tune loop.
export {
  rejectionSample,
  trainRejectionSampling,
  resolveRejectionSamplingConfig,
  rejectionSamplingDefaults,
  type ScoreFunction,
  type RejectionSampleOptions,
  type RejectionSample,
  type RejectionSampleResult,
  type RejectionSamplingConfig,
  type RejectionSamplingIterationMetrics,
  type RejectionSamplingHooks,
  type RejectionSamplingResult,
} from './rejection-sampling.js';
