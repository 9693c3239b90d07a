#!/usr/bin/env node
// The `sluice` command: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
process.argv[1] = new URL('../src/cli.ts', import.meta.url).pathname;
await import('../src/cli.ts');
