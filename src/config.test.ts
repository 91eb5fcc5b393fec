import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.ts';
import { isSpoolError } from './errors.ts';

test('defaults from an empty environment', () => {
  const c = loadConfig({});
  assert.equal(c.dataDir, path.resolve('./data'));
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.httpPort, 9191);
  assert.equal(c.httpsPort, 9192);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.schedulerEnabled, true);
  assert.equal(c.dbPoolSize, 10);
  assert.ok(Object.isFrozen(c));
});

test('values are read and typed', () => {
  const c = loadConfig({
    SPOOL_DATA_DIR: '/var/lib/spool', SPOOL_DATABASE_URL: 'postgres://u@db/spool', SPOOL_HTTP_PORT: '0', SPOOL_HTTPS_PORT: 'off',
    SPOOL_LOG_LEVEL: 'warn', SPOOL_SCHEDULER: 'off', SPOOL_DB_POOL_SIZE: '20', SPOOL_PUBLIC_URL: 'https://print.example.edu',
  });
  assert.equal(c.dataDir, '/var/lib/spool');
  assert.equal(c.databaseUrl, 'postgres://u@db/spool');
  assert.equal(c.httpPort, 0);
  assert.equal(c.httpsPort, undefined);
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.schedulerEnabled, false);
  assert.equal(c.dbPoolSize, 20);
  assert.equal(loadConfig({ SPOOL_DATABASE_URL: '' }).databaseUrl, undefined, 'empty means SQLite');
});

test('bad values name the variable and say why', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ SPOOL_HTTP_PORT: 'http' }, /SPOOL_HTTP_PORT is invalid: "http" is not a whole number/],
    [{ SPOOL_HTTPS_PORT: '70000' }, /SPOOL_HTTPS_PORT is invalid: 70000 is not between 0 and 65535/],
    [{ SPOOL_DB_POOL_SIZE: '0' }, /SPOOL_DB_POOL_SIZE/],
    [{ SPOOL_DATABASE_URL: 'mysql://x' }, /must start with postgres:\/\//],
    [{ SPOOL_LOG_LEVEL: 'loud' }, /SPOOL_LOG_LEVEL is invalid: "loud" is not one of fatal, error/],
    [{ SPOOL_SCHEDULER: 'yes' }, /SPOOL_SCHEDULER/],
    [{ SPOOL_PUBLIC_URL: 'print server' }, /SPOOL_PUBLIC_URL is invalid/],
    [{ SPOOL_DATA_DIR: '' }, /SPOOL_DATA_DIR is invalid: it is empty/],
    [{ SPOOL_TLS_CERT_FILE: '/etc/cert.pem' }, /must be set together/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (e: unknown) => isSpoolError(e) && e.code === 'config.invalid_env' && message.test(e.message), JSON.stringify(env));
  }
});
