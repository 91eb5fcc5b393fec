/**
 * How SCIM reads rows. Through Kysely everywhere (and always inside a write's transaction), except for the
 * requests Entra sends most, reads outside any transaction on SQLite: those go through a read-only
 * better-sqlite3 connection of their own with prepared statements cached by SQL text, without Kysely's
 * per-query work (plugins, driver, promise chain), which costs more than the indexed lookup itself; this keeps
 * `GET /Users?filter=userName eq …` at one cheap index read. In WAL mode (database.ts) a reader connection
 * never blocks the writer.
 *
 * Queries read by a Reader alias their columns in camelCase (`full_name AS "fullName"`), so rows look the
 * same through either path.
 */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type RawBuilder } from 'kysely';
import type { Db, Store } from '../store/database.ts';

export interface Reader {
  all<T>(query: RawBuilder<unknown>): Promise<T[]>;
  /** Compiles a query whose text does not depend on its parameter values, to run it many times with allCompiled(). */
  compile(query: RawBuilder<unknown>): CompiledQuery;
  /** Runs a query from compile() with these parameter values (as many, in the same order). */
  allCompiled<T>(query: CompiledQuery, parameters: readonly unknown[]): Promise<T[]>;
}

export const kyselyReader = (db: Db): Reader => ({
  async all<T>(query: RawBuilder<unknown>): Promise<T[]> {
    return (await query.execute(db)).rows as T[];
  },
  compile: (query) => query.compile(db),
  async allCompiled<T>(query: CompiledQuery, parameters: readonly unknown[]): Promise<T[]> {
    return (await db.executeQuery<T>(CompiledQuery.raw(query.sql, [...parameters]))).rows;
  },
});

const MAX_STATEMENTS = 500;
const MMAP_BYTES = 1 << 30;

/** Ends a read transaction; it holds no changes, so if COMMIT fails a ROLLBACK ends it just the same. */
function endReadTransaction(db: SqliteDatabase.Database): void {
  try {
    db.exec('COMMIT');
  } catch {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}

interface QueuedRead {
  statement: SqliteDatabase.Statement;
  parameters: readonly unknown[];
  resolve(rows: unknown[]): void;
  reject(e: unknown): void;
}

/**
 * The fast reader for `store`, and a function that closes what it opened.
 *
 * Reads are batched per turn of the event loop: `all()` queues the statement, and the queue runs at the end of
 * the turn (setImmediate) inside ONE read transaction. Starting and ending a read transaction costs a few
 * system calls (WAL read lock, file size check), more than an indexed lookup; under load, Entra's concurrent
 * lookups share them. Consistency is that of one autocommit read per request: the batch's snapshot is taken
 * after every queued request arrived (they were all parsed before the loop reached this point), so each of them
 * sees every transaction committed before it was sent, its own writes included.
 */
export function openReader(store: Store, dataDir: string): { reader: Reader; close(): void } {
  const fallback = kyselyReader(store.db);
  if (store.engine !== 'sqlite') return { reader: fallback, close: () => undefined };
  // SCIM's raw queries alias every column themselves, so the store's plugins (CamelCase) would change nothing
  // but cost a walk of the query tree on every request.
  const compiler = store.db.withoutPlugins();
  let native: SqliteDatabase.Database | undefined;
  let unavailable = false;
  const statements = new Map<string, SqliteDatabase.Statement>();
  let queue: QueuedRead[] = [];
  const open = (): SqliteDatabase.Database | undefined => {
    // Opened on first use: the store has created the file and switched it to WAL by then. The file name is
    // the store's (database.ts); if it cannot be opened, reads simply go through Kysely.
    if (!native && !unavailable) {
      try {
        native = new SqliteDatabase(path.resolve(dataDir, 'spool.sqlite'), { readonly: true, fileMustExist: true });
        native.pragma('busy_timeout = 10000');
        // Entra looks users up at random across the whole table: read the file through a memory map (the OS
        // page cache, no read() and copy per page missing from SQLite's own small cache). Address space only;
        // pages written since the last checkpoint are still read from the WAL.
        native.pragma(`mmap_size = ${MMAP_BYTES}`);
      } catch {
        unavailable = true;
      }
    }
    return native;
  };

  /** Runs the queued reads, in order; several share one read transaction. */
  function runQueued(): void {
    const batch = queue;
    queue = [];
    const db = native;
    const shared = batch.length > 1 && db !== undefined;
    try {
      if (shared) db.exec('BEGIN');
    } catch (e) {
      for (const read of batch) read.reject(e);
      return;
    }
    for (const read of batch) {
      try {
        read.resolve(read.statement.all(...read.parameters));
      } catch (e) {
        read.reject(e);
      }
    }
    if (shared && db.inTransaction) endReadTransaction(db);
  }

  const statementFor = (db: SqliteDatabase.Database, text: string): SqliteDatabase.Statement => {
    let statement = statements.get(text);
    if (!statement) {
      if (statements.size >= MAX_STATEMENTS) statements.clear(); // filters vary; keep the cache bounded
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  const queued = <T>(statement: SqliteDatabase.Statement, parameters: readonly unknown[]): Promise<T[]> =>
    new Promise<T[]>((resolve, reject) => {
      if (queue.length === 0) setImmediate(runQueued);
      queue.push({ statement, parameters, resolve: resolve as (rows: unknown[]) => void, reject });
    });

  const reader: Reader = {
    all<T>(query: RawBuilder<unknown>): Promise<T[]> {
      const db = open();
      if (!db) return fallback.all<T>(query);
      try {
        const compiled = query.compile(compiler);
        return queued<T>(statementFor(db, compiled.sql), compiled.parameters);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },
    compile: (query) => query.compile(compiler),
    allCompiled<T>(query: CompiledQuery, parameters: readonly unknown[]): Promise<T[]> {
      const db = open();
      if (!db) return fallback.allCompiled<T>(query, parameters);
      try {
        return queued<T>(statementFor(db, query.sql), parameters);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },
  };

  return {
    reader,
    close(): void {
      runQueued(); // reads queued in this turn still get their rows
      statements.clear();
      native?.close();
      native = undefined;
    },
  };
}
