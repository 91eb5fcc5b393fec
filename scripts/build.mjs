#!/usr/bin/env node
/**
 * Compiles Spool's TypeScript into dist/ with esbuild (run by `npm ci` through the `prepare` script, by the test
 * runner and by the benchmarks). Why: loading ~160 TypeScript files through tsx costs over a second on every
 * `spool` command, the sync worker pays it again, and scripted syncs (cron, the incremental schedule) run often.
 * bin/spool.js falls back to tsx whenever dist/ is missing or older than a source file, so a forgotten
 * rebuild never runs stale code.
 *
 * The bundles keep some npm packages external (native addons such as better-sqlite3 must load from node_modules).
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { newestSource } from './source-stamp.mjs';

/**
 * Packages left to node_modules: native addons (they load .node files beside their JavaScript), Fastify and its
 * plugins (only the server uses them, and they are loaded once per process anyway), and pino (its transports
 * resolve worker files by path). Everything else is bundled: resolving and compiling hundreds of small ESM files
 * (zod, kysely) was most of a CLI command's start-up.
 */
const EXTERNAL = ['better-sqlite3', '@node-rs/argon2', 'pg-native', 'fastify', '@fastify/*', 'pino', 'tsx', 'esbuild'];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const started = Date.now();
const stamp = newestSource(root);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// Two CommonJS bundles, run through scripts/run-bundle.cjs so that V8 can reuse their compiled code from one
// command to the next (Node 20 caches nothing for ES modules). Modules loaded with import() stay lazy: esbuild
// initialises them only when first imported, so `spool users list` does not run the server's code.
const bundles = { 'spool.cjs': 'src/cli/main.ts', 'sync-worker.cjs': 'src/services/sync/sync-worker.ts' };
await Promise.all(Object.entries(bundles).map(([file, entry]) =>
  build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: join(out, file),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    sourcemap: 'linked',
    // The sources are ES modules: import.meta becomes the bundle's own file and folder.
    define: { 'import.meta.url': '__spoolModuleUrl', 'import.meta.dirname': '__dirname' },
    banner: { js: "const __spoolModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  }),
));
// What run-in-worker.ts starts: the worker bundle through the same loader.
writeFileSync(join(out, 'sync-worker-start.cjs'), "'use strict';\nrequire('../scripts/run-bundle.cjs').runBundle(require('node:path').join(__dirname, 'sync-worker.cjs'), 'sync-worker');\n");
// Code restored from V8's cache has no loader for import() (see scripts/run-bundle.cjs): external packages must be
// require()d. esbuild leaves import() of an external package as it is, so one must not slip in.
// Each bundle's SHA-256 names its code caches.
const hashes = {};
for (const f of Object.keys(bundles)) {
  const text = readFileSync(join(out, f), 'utf8');
  const m = /\bimport\(\s*["'][^"']+["']\s*\)/.exec(text);
  if (m) throw new Error(`dist/${f} calls ${m[0]}: load that package with require (createRequire) instead.`);
  hashes[f] = createHash('sha256').update(text).digest('hex');
}
// The console's static files are read from beside the code that serves them (see src/http/assets/routes.ts).
for (const f of ['console.css', 'console.js']) cpSync(join(root, 'src/http/assets', f), join(out, f));
writeFileSync(join(out, 'build-info.json'), `${JSON.stringify({ newestSourceMs: stamp, builtAt: new Date().toISOString(), bundles: hashes })}\n`);
if (!process.env.SPOOL_BUILD_QUIET) process.stderr.write(`spool: built dist/ in ${Date.now() - started} ms\n`);
