/**
 * Opens the store: embedded SQLite (default, under the data dir) or PostgreSQL (SPOOL_DATABASE_URL).
 * Both speak through the same Kysely instance and the same migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type pg from 'pg';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { SpoolError } from '../errors.ts';
import type { Database } from './schema.ts';
import type { Engine } from './migrations/context.ts';
import { migrateToLatest } from './migrations/index.ts';
import { installCopy } from './pg-copy.ts';
import { registerRawRowReader, registerSqliteWriter, toPostgresPlaceholders } from './raw-rows.ts';
import { withStatementCache } from './statement-cache.ts';

export type Db = Kysely<Database>;
export type { Engine };

export interface Store {
  db: Db;
  engine: Engine;
  /** A short description safe to log (no password). */
  describe: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  migrate?: boolean;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * SQLite: checkpoint the WAL into the database file when the last connection closes (SQLite's default; true).
   * The CLI passes false: a command that wrote 1,000 users otherwise spent 40-150 ms at exit copying their pages
   * and waiting for two fsyncs (a third of an incremental sync). The next writer's automatic checkpoint, or the
   * server's, does it instead. Nothing else changes: under synchronous=NORMAL a commit is safe from a crash of the
   * process at once, and from a power cut once the OS has written the WAL out, as for every commit of the server.
   */
  checkpointOnClose?: boolean;
}

/**
 * pg is loaded only when PostgreSQL is configured: at load it probes for a Cloudflare runtime through the global
 * `Response`, which pulls in Node's fetch implementation (~100 ms on every SQLite start).
 */
async function loadPg(): Promise<typeof pg> {
  const { default: driver } = await import('pg');
  // PostgreSQL returns int8/numeric as strings to avoid precision loss; our 64-bit columns hold cents and
  // ids that stay far below 2^53, so numbers are exact and simpler everywhere.
  driver.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
  return driver;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store = options.databaseUrl ? await openPostgres(options.databaseUrl, options.poolSize ?? 10) : openSqlite(options.dataDir, options.checkpointOnClose ?? true);
  if (options.migrate !== false) await migrateToLatest(store.db as unknown as Kysely<unknown>, store.engine);
  return store;
}

function openSqlite(dataDir: string, checkpointOnClose: boolean): Store {
  const file = path.resolve(dataDir, 'spool.sqlite');
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
  } catch (e) {
    throw new SpoolError('config.data_dir_not_writable', `The data directory ${path.dirname(file)} cannot be written.`, {
      hint: 'Create it and give the user running Spool write access, or set SPOOL_DATA_DIR to a writable directory.',
      cause: e,
    });
  }
  const native = new SqliteDatabase(file);
  native.pragma('journal_mode = WAL');
  native.pragma('foreign_keys = ON');
  native.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes, fast commits
  native.pragma('busy_timeout = 10000'); // the CLI and the server share the file
  // Statement journals (kept so that one failing row of a multi-row INSERT can be undone inside a transaction)
  // and temporary B-trees in memory: in files under /var/tmp a first sync of 100,000 users wrote 1.2 GB to them in
  // 637,000 pwrite calls.
  native.pragma('temp_store = MEMORY');
  // Checkpoint the WAL every 16,000 pages (64 MB) instead of SQLite's 1,000: each checkpoint stalls the writing
  // request for two fsyncs (about 11 ms here), and at 1,000 pages a stream of SCIM PATCHes hit one 2-3 times a
  // second, enough to set the p99 (bench:scim (d): 25 ms at 1,000 pages, 16-18 ms at 16,000, same CPU per request).
  native.pragma('wal_autocheckpoint = 16000');
  // The WAL file keeps the size of the largest transaction since it was last removed (a first sync: 100 MB and
  // more), and the CLI leaves it in place (checkpointOnClose): cut back to 64 MB each time it starts over.
  native.pragma('journal_size_limit = 67108864');
  // A 16 MB page cache instead of SQLite's 2 MB: a first sync of 100,000 users writes a users table and seven
  // indexes of tens of MB, and with 2 MB every index insert re-read its pages from the OS (three alternating runs
  // each: 9.8-11.1 s and 2.5 s of system time at 2 MB, 8.0-9.2 s and 1.6 s at 16 MB; 64 MB gained no more).
  native.pragma('cache_size = -16384');
  const statements = withStatementCache(native);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }), plugins: [new CamelCasePlugin()] });
  const rawStatements = new Map<string, SqliteDatabase.Statement>();
  registerRawRowReader(db, async (text, params) => {
    let stmt = rawStatements.get(text);
    if (!stmt) {
      stmt = native.prepare(text).raw(true);
      rawStatements.set(text, stmt);
    }
    return stmt.all(...params) as unknown[][];
  });
  // The sync's direct writes reuse Kysely's prepared statements (statement-cache.ts): one cache for both.
  registerSqliteWriter(db, { run: (text, values) => Number(statements.prepare(text).run(values).lastInsertRowid) });
  return { db, engine: 'sqlite', describe: `SQLite ${file}`, close: checkpointOnClose ? () => db.destroy() : () => closeWithoutCheckpoint(db, file) };
}

/**
 * SQLite checkpoints when the last connection to a database closes, if it can lock the file exclusively. A
 * read-only connection opened for the moment holds a shared lock, so the closing one cannot, and being read-only it
 * never checkpoints itself (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE does the same, but better-sqlite3 does not expose it).
 */
async function closeWithoutCheckpoint(db: Db, file: string): Promise<void> {
  let holder: SqliteDatabase.Database | undefined;
  try {
    holder = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    holder.pragma('schema_version');
  } catch {
    holder?.close();
    holder = undefined; // then close as usual, checkpoint included
  }
  try {
    await db.destroy();
  } finally {
    holder?.close();
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  const [pg, { from: copyFrom }] = await Promise.all([loadPg(), import('pg-copy-streams')]);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  // Bulk loads (pg-copy.ts) send COPY through Kysely: every client learns it as the pool connects it.
  pool.on('connect', (client) => installCopy(client, copyFrom));
  const safe = redactUrl(url);
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new SpoolError('store.unreachable', `Cannot connect to PostgreSQL at ${safe}: ${(e as Error).message}.`, {
      hint: 'Check that PostgreSQL is running and that SPOOL_DATABASE_URL has the right host, port, database, user and password.',
      status: 503,
      cause: e,
    });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  registerRawRowReader(db, async (text, params) => (await pool.query<unknown[]>({ text: toPostgresPlaceholders(text), values: [...params], rowMode: 'array' })).rows);
  // Kysely ends the pool only if it ran a query itself: a sync worker that read through the raw reader alone (a
  // no-change sync) left an idle client behind, which kept its thread, and the `spool` command, alive for the pool's
  // 10 s idle timeout.
  const close = async (): Promise<void> => {
    await db.destroy();
    if (!pool.ending) await pool.end();
  };
  return { db, engine: 'postgres', describe: `PostgreSQL ${safe}`, close };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/** Cheap liveness query for /readyz. */
export async function pingStore(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}
