/**
 * Group commit for small, independent write transactions on SQLite (SCIM provisioning: one per request).
 *
 * SQLite has one writer, and a commit's fixed cost (write lock, WAL frames of every page touched, often the same
 * group page for each member change) is most of such a transaction. `run()` queues the transaction; at the end of
 * the event-loop turn the queued functions run one after the other in ONE database transaction, and every caller
 * is answered after its COMMIT. If any of them throws (or the COMMIT fails), the whole group is rolled back and
 * each function runs again alone, in its own transaction, in queue order: so each caller still gets exactly the
 * outcome of its own transaction, all or nothing, durable when answered. (Savepoints per function would also
 * isolate a failure, but cost a sub-journal copy of every page touched: more than the rest of such a write.)
 * A lone transaction runs as a plain one. PostgreSQL runs each transaction on its own pooled connection
 * (concurrently, as before): grouping would serialise them.
 *
 * A function run here may therefore run twice, and must have no effect outside its transaction. It must not call
 * `run()` itself (it would wait for a group that waits for it).
 */
import { CompiledQuery } from 'kysely';
import type { Db, Engine } from './database.ts';
import { createRepositories, inTransaction, type Repositories } from './repositories.ts';

export type TransactionFn<T> = (repos: Repositories, trx: Db) => Promise<T>;
export type RunInTransaction = <T>(fn: TransactionFn<T>) => Promise<T>;

interface Queued {
  fn: TransactionFn<unknown>;
  resolve(value: unknown): void;
  reject(e: unknown): void;
}

// Compiled once: no parameters, and the same text on both engines.
const BEGIN_IMMEDIATE = CompiledQuery.raw('BEGIN IMMEDIATE');
const COMMIT = CompiledQuery.raw('COMMIT');
const ROLLBACK = CompiledQuery.raw('ROLLBACK');

export function groupedTransactions(db: Db, engine: Engine): RunInTransaction {
  if (engine !== 'sqlite') return (fn) => inTransaction(db, fn);
  let queue: Queued[] = [];

  /** Runs `group` in one transaction; false (and nothing written) if any part of it failed. */
  async function together(group: Queued[]): Promise<boolean> {
    const values: unknown[] = [];
    try {
      await db.connection().execute(async (trx) => {
        // IMMEDIATE: the write lock is taken (or waited for, busy_timeout) before any function reads, so a
        // write of another process in between cannot invalidate what the group read.
        await trx.executeQuery(BEGIN_IMMEDIATE);
        try {
          const repos = createRepositories(trx);
          for (const item of group) values.push(await item.fn(repos, trx));
          await trx.executeQuery(COMMIT);
        } catch (e) {
          await trx.executeQuery(ROLLBACK).catch(() => undefined);
          throw e;
        }
      });
    } catch {
      return false;
    }
    group.forEach((item, i) => item.resolve(values[i]));
    return true;
  }

  async function runQueued(): Promise<void> {
    const group = queue;
    queue = [];
    if (group.length > 1 && (await together(group))) return;
    for (const item of group) await inTransaction(db, item.fn).then(item.resolve, item.reject);
  }

  return <T>(fn: TransactionFn<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(() => void runQueued());
      queue.push({ fn: fn as TransactionFn<unknown>, resolve: resolve as (value: unknown) => void, reject });
    });
}
