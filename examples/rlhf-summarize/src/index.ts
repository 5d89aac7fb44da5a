/**
 * The TL;DR summarisation RLHF recipe as a package: its stages, options and pipeline, for tools
 * that drive it (`attune rlhf summarize`). The command-line script is `./main` (src/main.ts;
 * dist/main.js once built).
 */
export { STAGES, summarizeDefaults, quickOverrides, resolveOptions, type StageName, type SummarizeOptions, type SummarizeInput } from './options.js';
export { runSummarize } from './pipeline.js';
