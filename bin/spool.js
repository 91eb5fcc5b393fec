#!/usr/bin/env node
// The `spool` command. It runs the bundle that `npm ci` compiles into dist/ (scripts/build.mjs), with V8's code
// cache (scripts/run-bundle.cjs). When dist/ is missing or older than a source file (a checkout without the build
// step, or a source edited since), it runs the TypeScript sources through tsx's loader instead: slower to start,
// never stale.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSource } from '../scripts/source-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freshBuild() {
  if (process.env.SPOOL_FROM_SOURCE === '1') return false;
  try {
    const info = JSON.parse(readFileSync(join(root, 'dist/build-info.json'), 'utf8'));
    return typeof info.newestSourceMs === 'number' && newestSource(root) <= info.newestSourceMs;
  } catch {
    return false;
  }
}

if (freshBuild()) {
  const { runBundle, commandKey } = createRequire(import.meta.url)('../scripts/run-bundle.cjs');
  runBundle(join(root, 'dist/spool.cjs'), commandKey(process.argv.slice(2)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
