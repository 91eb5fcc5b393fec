#!/usr/bin/env node
// The `spool` command. Spool runs its TypeScript sources through tsx's loader so that there is no build
// step to forget: `npm ci && npm start` is all a site needs.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
