/**
 * scripts/run-bundle.cjs: how dist/'s bundles run with V8's code cache (one cache per command, written after a
 * first successful run, keyed by the bundle's hash) and what it refuses to cache.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const LOADER = resolve(import.meta.dirname, '../scripts/run-bundle.cjs');
const { commandKey } = createRequire(import.meta.url)(LOADER) as { commandKey: (argv: string[]) => string | null };

function bundleDir(body: string, sha = 'a'.repeat(64)): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-run-bundle-'));
  writeFileSync(join(dir, 'b.cjs'), body);
  writeFileSync(join(dir, 'build-info.json'), JSON.stringify({ bundles: { 'b.cjs': sha } }));
  return dir;
}
const run = (dir: string, name: string): string =>
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(LOADER)}).runBundle(${JSON.stringify(join(dir, 'b.cjs'))}, ${JSON.stringify(name)})`], { encoding: 'utf8' });
const caches = (dir: string): string[] => {
  try {
    return readdirSync(join(dir, '.code-cache'));
  } catch {
    return [];
  }
};

test('command keys: the first two words and the long options, nothing unusual', () => {
  assert.equal(commandKey(['sync', 'now', '--json']), 'sync-now--json');
  assert.equal(commandKey(['sync', 'now', '--json', '--incremental']), 'sync-now--incremental--json');
  assert.equal(commandKey(['users', 'show', 'alice', '--json']), 'users-show--json');
  assert.equal(commandKey(['sync', 'log', '--limit=5', '3']), 'sync-log--limit');
  assert.equal(commandKey(['users', 'list']), 'users-list');
  assert.equal(commandKey(['serve']), 'serve');
  assert.equal(commandKey(['--version']), null);
  assert.equal(commandKey(['../../etc', 'x']), null);
  assert.equal(commandKey(['Users', 'list']), null);
});

test('a bundle runs as CommonJS; its cache is written after the first successful run and reused', () => {
  const dir = bundleDir("module.exports = 1; console.log(typeof require, __filename.endsWith('b.cjs'), require('node:path').sep);");
  try {
    assert.equal(run(dir, 'users-list').trim(), 'function true /');
    const first = caches(dir);
    assert.equal(first.length, 1);
    assert.match(first[0]!, /^users-list-aaaaaaaaaaaaaaaa-v\d+\.\d+\.\d+-\w+\.bin$/);
    assert.equal(run(dir, 'users-list').trim(), 'function true /');
    assert.deepEqual(caches(dir), first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a command line without a cache of its own runs from its command\'s cache with other options, and writes none', () => {
  const dir = bundleDir("console.log('ok');");
  try {
    run(dir, 'sync-now--json');
    const [json] = caches(dir);
    assert.equal(run(dir, 'sync-now--incremental--json').trim(), 'ok');
    assert.deepEqual(caches(dir), [json!]);
    writeFileSync(join(dir, '.code-cache', json!), 'garbage');
    assert.equal(run(dir, 'sync-now--incremental--json').trim(), 'ok');
    assert.equal(caches(dir).length, 2, 'a sibling V8 rejects: the command writes its own');
    assert.equal(run(dir, 'sync-nowx').trim(), 'ok');
    assert.equal(caches(dir).length, 3, 'another command: a cache of its own');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no cache for a failed run, a bundle without a hash, or with SPOOL_CODE_CACHE=off', () => {
  const failing = bundleDir('process.exitCode = 2;');
  const unhashed = bundleDir('1;');
  writeFileSync(join(unhashed, 'build-info.json'), '{}');
  try {
    assert.throws(() => run(failing, 'sync-now'), { status: 2 });
    assert.deepEqual(caches(failing), []);
    run(unhashed, 'sync-now');
    assert.deepEqual(caches(unhashed), []);
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(LOADER)}).runBundle(${JSON.stringify(join(unhashed, 'b.cjs'))}, 'x')`], { env: { ...process.env, SPOOL_CODE_CACHE: 'off' } });
    assert.deepEqual(caches(unhashed), []);
  } finally {
    rmSync(failing, { recursive: true, force: true });
    rmSync(unhashed, { recursive: true, force: true });
  }
});
