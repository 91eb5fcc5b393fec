// `npm test`: type-check, lint, make sure the real peers exist (PostgreSQL, slapd, Samba, Chromium),
// then run every unit and integration test with Node's test runner (TypeScript through tsx).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
const args = process.argv.slice(2);
const quick = args.includes('--quick'); // skip typecheck and lint
const files = args.filter((a) => !a.startsWith('--'));

const step = (name, cmd, cmdArgs, opts = {}) => {
  process.stderr.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    process.stderr.write(`${name} failed\n`);
    process.exit(r.status ?? 1);
  }
};

if (!process.env.SPOOL_SKIP_SYSTEM_DEPS) step('system packages', 'bash', ['scripts/ensure-system-deps.sh']);
if (!process.env.SPOOL_TEST_DATABASE_URL && process.env.SPOOL_TEST_PG !== '0') {
  process.env.SPOOL_TEST_DATABASE_URL = execFileSync('node', ['scripts/ensure-postgres.mjs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}
if (!quick) {
  step('typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
  step('lint', 'npx', ['eslint', '.']);
}

// The `spool` command the CLI tests spawn runs the compiled bundle, as it does for users (bin/spool.js).
step('build', process.execPath, ['scripts/build.mjs']);

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}
const tests = files.length ? files : [...find('src'), ...find('test')].sort();
fs.mkdirSync('test-results', { recursive: true });
step(`tests (${tests.length} files)`, process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...tests], {
  env: { ...process.env, SPOOL_LOG_LEVEL: process.env.SPOOL_LOG_LEVEL ?? 'silent' },
});
