/**
 * Bulk reads as arrays of values, for the few queries that return a row per user (the sync's store snapshot).
 * Why: Kysely hands every row over as an object keyed by column name; at 100,000 rows of 18 columns building
 * those objects cost three times the query itself. better-sqlite3's raw() mode and pg's rowMode 'array' return
 * plain arrays instead.
 *
 * SQL is written with "?" placeholders (converted to $1, $2… for PostgreSQL); it must not contain a literal "?".
 * A database handle without a registered reader (e.g. a transaction) falls back to Kysely.
 */
import { CompiledQuery } from 'kysely';
import type { Db } from './database.ts';

type Reader = (text: string, params: readonly unknown[]) => Promise<unknown[][]>;
/** SQLite only: runs one statement synchronously on the database's connection; returns an INSERT's rowid. */
export interface SqliteWriter {
  run(text: string, values: readonly unknown[]): number;
}

const readers = new WeakMap<object, Reader>();
const writers = new WeakMap<object, SqliteWriter>();

/**
 * SQLite: row-at-a-time writes of the sync without Kysely. Wide rows (a user's 22 columns) insert faster one prepared
 * one-row statement per row than as multi-row statements (bulk.ts insertMany): 100,000 users and accounts in a bare
 * better-sqlite3 script, 690-700 ms against 840-870 ms with 256 rows per statement and RETURNING; narrow rows
 * (memberships) do not (560 ms against 500 ms). And a statement run through Kysely costs an async round of its own
 * (1,000 changed users' updates: about 40 µs each). Statements run on the database's one connection: called inside a
 * Kysely transaction's callback (which holds that connection), they are part of that transaction.
 */
export function registerSqliteWriter(db: Db, writer: SqliteWriter): void {
  writers.set(db, writer);
}

export function sqliteWriter(db: Db): SqliteWriter | undefined {
  return writers.get(db);
}

export function registerRawRowReader(db: Db, reader: Reader): void {
  readers.set(db, reader);
}

export function toPostgresPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

export async function rawRows(db: Db, text: string, params: readonly unknown[] = []): Promise<unknown[][]> {
  const reader = readers.get(db);
  if (reader) return reader(text, params);
  const res = await db.withoutPlugins().executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...params]));
  return res.rows.map((r) => Object.values(r));
}
