#!/usr/bin/env node
/**
 * Compiles Spool's TypeScript into dist/ with esbuild (run by `npm ci` through the `prepare` script, by the test
 * runner and by the benchmarks). Why: loading ~160 TypeScript files through tsx costs over a second on every
 * `spool` command, the sync worker pays it again, and scripted syncs (cron, the incremental schedule) run often.
 * bin/spool.js falls back to tsx whenever dist/ is missing or older than a source file, so a forgotten
 * rebuild never runs stale code.
 *
 * The bundle keeps npm packages external (native addons such as better-sqlite3 must load from node_modules) and
 * splits chunks so that the CLI still loads a command's modules only when that command runs.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
await build({
  absWorkingDir: root,
  entryPoints: { spool: 'src/cli/main.ts', 'sync-worker': 'src/services/sync/sync-worker.ts' },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: 'linked',
  // Bundled CommonJS packages (commander, pg, ldapts' dependencies) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __spoolRequire } from 'node:module'; const require = __spoolRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The console's static files are read from beside the code that serves them (see src/http/assets/routes.ts).
for (const f of ['console.css', 'console.js']) cpSync(join(root, 'src/http/assets', f), join(out, f));
writeFileSync(join(out, 'build-info.json'), `${JSON.stringify({ newestSourceMs: stamp, builtAt: new Date().toISOString() })}\n`);
if (!process.env.SPOOL_BUILD_QUIET) process.stderr.write(`spool: built dist/ in ${Date.now() - started} ms\n`);
