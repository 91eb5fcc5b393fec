/**
 * Test stores, one per engine: SQLite in a temp dir, and PostgreSQL in a throwaway database created from
 * SPOOL_TEST_DATABASE_URL (set by scripts/test.mjs, which finds or starts a server). Run a suite on both:
 *   for (const engine of testEngines()) describe(engine, () => { ... openTestApp(engine) ... })
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import type { Engine } from '../../src/store/database.ts';

export function testEngines(): Engine[] {
  return process.env.SPOOL_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  dataDir: string;
  databaseUrl: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
  if (engine === 'sqlite') {
    return { dataDir, databaseUrl: undefined, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.SPOOL_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('SPOOL_TEST_DATABASE_URL is not set (run the tests through npm test)');
  const name = `spool_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    dataDir,
    databaseUrl: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestApp extends App {
  db: TestDatabase;
  /** Closes the app and drops its database. */
  dispose(): Promise<void>;
}

export async function openTestApp(engine: Engine, env: Record<string, string> = {}, clock?: () => Date): Promise<TestApp> {
  const db = await createTestDatabase(engine);
  const config = loadConfig({ SPOOL_DATA_DIR: db.dataDir, ...(db.databaseUrl ? { SPOOL_DATABASE_URL: db.databaseUrl } : {}), SPOOL_HTTP_PORT: '0', SPOOL_HTTPS_PORT: '0', SPOOL_HOST: '127.0.0.1', ...env });
  const app = await createApp({ config, log: createLogger(process.env.SPOOL_LOG_LEVEL ?? 'silent'), ...(clock ? { clock } : {}) });
  return Object.assign(app, {
    db,
    async dispose() {
      await app.close();
      await db.drop();
    },
  });
}

/** Environment for running the real `spool` CLI against a test database. */
export function cliEnv(db: TestDatabase): NodeJS.ProcessEnv {
  return { ...process.env, SPOOL_DATA_DIR: db.dataDir, SPOOL_DATABASE_URL: db.databaseUrl ?? '', SPOOL_LOG_LEVEL: 'error' };
}
