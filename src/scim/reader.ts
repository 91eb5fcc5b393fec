/**
 * How SCIM reads rows. Through Kysely everywhere (and always inside a write's transaction), except for the
 * requests Entra sends most, reads outside any transaction on SQLite: those go through a read-only
 * better-sqlite3 connection of their own with prepared statements cached by SQL text. Kysely's SQLite
 * driver prepares every statement anew, which costs more than the indexed lookup itself; caching them keeps
 * `GET /Users?filter=userName eq …` at one cheap index read. In WAL mode (database.ts) a reader connection
 * never blocks the writer, and each statement sees every transaction committed before it started, so a
 * client reading right after its own write sees it.
 *
 * Queries read by a Reader alias their columns in camelCase (`full_name AS "fullName"`), so rows look the
 * same through either path.
 */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { RawBuilder } from 'kysely';
import type { Db, Store } from '../store/database.ts';

export interface Reader {
  all<T>(query: RawBuilder<unknown>): Promise<T[]>;
}

export const kyselyReader = (db: Db): Reader => ({
  async all<T>(query: RawBuilder<unknown>): Promise<T[]> {
    return (await query.execute(db)).rows as T[];
  },
});

const MAX_STATEMENTS = 500;

/** The fast reader for `store`, and a function that closes what it opened. */
export function openReader(store: Store, dataDir: string): { reader: Reader; close(): void } {
  const fallback = kyselyReader(store.db);
  if (store.engine !== 'sqlite') return { reader: fallback, close: () => undefined };
  let native: SqliteDatabase.Database | undefined;
  let unavailable = false;
  const statements = new Map<string, SqliteDatabase.Statement>();
  const open = (): SqliteDatabase.Database | undefined => {
    // Opened on first use: the store has created the file and switched it to WAL by then. The file name is
    // the store's (database.ts); if it cannot be opened, reads simply go through Kysely.
    if (!native && !unavailable) {
      try {
        native = new SqliteDatabase(path.resolve(dataDir, 'spool.sqlite'), { readonly: true, fileMustExist: true });
        native.pragma('busy_timeout = 10000');
      } catch {
        unavailable = true;
      }
    }
    return native;
  };
  return {
    reader: {
      async all<T>(query: RawBuilder<unknown>): Promise<T[]> {
        const db = open();
        if (!db) return fallback.all<T>(query);
        const compiled = query.compile(store.db);
        let st = statements.get(compiled.sql);
        if (!st) {
          if (statements.size >= MAX_STATEMENTS) statements.clear(); // filters vary; keep the cache bounded
          st = db.prepare(compiled.sql);
          statements.set(compiled.sql, st);
        }
        return st.all(...(compiled.parameters as unknown[])) as T[];
      },
    },
    close(): void {
      statements.clear();
      native?.close();
      native = undefined;
    },
  };
}
