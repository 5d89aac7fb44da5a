#!/usr/bin/env node
// The `attune` executable: runs the command tree and exits with its status. It exits explicitly,
// since a tensor backend's worker pool would otherwise keep the process alive.
import { main } from './index.js';

const status = await main(process.argv.slice(2));
process.exit(status);
