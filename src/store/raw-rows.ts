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
/**
 * Runs a one-row INSERT `count` times, synchronously, with the values `fill` puts into one reused array (no array
 * per row to collect); returns each row's rowid.
 */
export type RowInserter = (text: string, count: number, fill: (i: number, row: unknown[]) => void) => number[];

const readers = new WeakMap<object, Reader>();
const inserters = new WeakMap<object, RowInserter>();

/**
 * SQLite: wide rows (a user's 22 columns) insert faster one prepared one-row statement per row than as multi-row
 * statements (bulk.ts insertMany): 100,000 users and accounts in a bare better-sqlite3 script, 690-700 ms against
 * 840-870 ms with 256 rows per statement and RETURNING. Narrow rows (memberships) do not: 560 ms against 500 ms.
 * The statement runs on the database's one connection, so called inside a Kysely transaction callback (which holds
 * that connection) it is part of that transaction.
 */
export function registerRowInserter(db: Db, inserter: RowInserter): void {
  inserters.set(db, inserter);
}

export function rowInserter(db: Db): RowInserter | undefined {
  return inserters.get(db);
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
