'use strict';
/**
 * Runs one of dist/'s CommonJS bundles (the `spool` command, the sync worker) with V8's code cache.
 *
 * Why by hand: Node 20 caches no compiled code between processes (module.enableCompileCache() arrived in Node 22),
 * and every `spool` command compiled about 1 MB of JavaScript again: 45-50 ms of a 0.28 s incremental sync.
 * vm.Script accepts the bytecode a previous run produced (cachedData); V8 checks it against its own version and
 * flags and rejects it when they differ, and the file name carries the bundle's SHA-256 (build-info.json), so a
 * cache never outlives the code it was made from.
 *
 * One cache per command line shape ("sync-now--json", "users-list"...): each holds the functions that command
 * ran, written once, at the end of its first successful run. A command line without a cache of its own starts from
 * one of the same command with other options ("sync now --incremental" from "sync now"'s) and writes none: V8
 * compiles only what that cache lacks, where writing a cache at exit costs a first run 30-40 ms. Caches live in dist/.code-cache/ (rebuilt with dist/);
 * where dist/ cannot be written, commands simply run without one. Caches are never read from anywhere else: a
 * shared directory such as /tmp would let another user plant bytecode.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { Script } = require('node:vm');

/**
 * The cache's name for a command line: its first two words and its long options ("sync now --incremental --json" ->
 * "sync-now--incremental--json"; an incremental sync runs other code than a full one), or null when unusual.
 */
function commandKey(argv) {
  const words = [];
  const flags = new Set();
  for (const a of argv) {
    if (a.startsWith('--')) {
      const name = a.split('=')[0];
      if (/^--[a-z][a-z0-9-]{0,30}$/.test(name)) flags.add(name);
    } else if (!a.startsWith('-') && words.length < 2 && flags.size === 0) {
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(a)) return null;
      words.push(a);
    }
  }
  return words.length ? [words.join('-'), ...[...flags].sort()].join('') : null;
}

function cacheFile(file, name) {
  if (!name || process.env.SPOOL_CODE_CACHE === 'off') return null;
  try {
    const info = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'build-info.json'), 'utf8'));
    const sha = info.bundles?.[path.basename(file)];
    if (typeof sha !== 'string') return null;
    return path.join(path.dirname(file), '.code-cache', `${name}-${sha.slice(0, 16)}-${process.version}-${process.arch}.bin`);
  } catch {
    return null;
  }
}

function readCache(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** A cache of the same command words with other options ("sync-now--json" for "sync-now--incremental--json"). */
function siblingCache(file, name) {
  const words = name.split('--')[0];
  const own = path.basename(file);
  const suffix = own.slice(name.length);
  try {
    const other = fs.readdirSync(path.dirname(file)).find((f) => f !== own && f.endsWith(suffix) && f.slice(0, -suffix.length).split('--')[0] === words);
    return other ? readCache(path.join(path.dirname(file), other)) : undefined;
  } catch {
    return undefined;
  }
}

/** At most this many caches (0.3-1.3 MB each): command lines with ever new option sets do not fill the disk. */
const MAX_CACHES = 64;

/** Writes atomically (temp file, then rename): two commands may finish their first run at the same time. */
function writeCache(file, script) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (fs.readdirSync(path.dirname(file)).length >= MAX_CACHES) return;
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, file);
  } catch {
    // A read-only install runs without a cache.
  }
}

/**
 * Compiles and runs `file` as a CommonJS module. When this run should write the code cache (none yet, or V8
 * rejected it), it does so at process exit, if the run succeeded.
 */
function runBundle(file, name) {
  const source = fs.readFileSync(file, 'utf8');
  const cache = cacheFile(file, name);
  const cachedData = cache ? readCache(cache) ?? siblingCache(cache, name) : undefined;
  // No import() in the bundles: compiled code restored from a cache has no dynamic import callback (packages
  // are require()d, see src/security/passwords.ts).
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  if (cache !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', (code) => code === 0 && writeCache(cache, script));
  }
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

module.exports = { runBundle, commandKey };
