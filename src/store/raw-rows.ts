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

const readers = new WeakMap<object, Reader>();

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
