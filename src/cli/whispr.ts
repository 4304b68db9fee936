#!/usr/bin/env node
// The `whispr` command: refuse an unsupported Node.js before any module that needs a newer one loads.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('../../scripts/require-node.cjs');
await import('./main.js');
