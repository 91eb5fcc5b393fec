/**
 * Kysely's SQLite driver calls better-sqlite3's prepare() for every query it runs. Preparing parses and plans the
 * SQL each time: for the sync's multi-row inserts that was most of the database time of a first sync (0.8 s of
 * prepare alone at 100,000 users), and for small hot queries (SCIM lookups) it costs more than running them.
 * better-sqlite3 statements are reusable, so this adapter keeps the most recent ones by SQL text.
 *
 * A statement still busy (an iterate() of a streamed query not yet finished) is never handed out twice: the
 * caller then gets a fresh one.
 */
import type SqliteDatabase from 'better-sqlite3';

/** Distinct SQL texts kept; the application issues a few hundred shapes at most. */
const CAPACITY = 500;

export interface PreparingDatabase {
  prepare(sql: string): SqliteDatabase.Statement;
  close(): void;
}

export function withStatementCache(native: SqliteDatabase.Database, capacity = CAPACITY): PreparingDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql) {
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        // Map keeps insertion order: re-inserting marks it most recently used. Under the statement's own copy of
        // the text: the caller's is a new string per query, and the long-lived Map would keep each one alive until
        // the next full GC (for SCIM's small transactions, kilobytes per request promoted out of the young generation).
        cache.delete(sql);
        cache.set(hit.source, hit);
        return hit;
      }
      const stmt = native.prepare(sql);
      if (!hit) {
        cache.set(sql, stmt);
        if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
    close() {
      cache.clear();
      native.close();
    },
  };
}
