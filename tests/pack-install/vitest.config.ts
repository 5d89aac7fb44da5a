// Shared with every workspace: see vitest.shared.ts at the repository root.
export { default } from '../../vitest.shared';
