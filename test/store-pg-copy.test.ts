/**
 * PostgreSQL bulk loads through COPY (src/store/pg-copy.ts): values that COPY's text format must escape come back
 * as they went in, a COPY inside a transaction that rolls back leaves nothing, and a COPY that fails leaves its
 * connection usable with a clear error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { copyRows } from '../src/store/pg-copy.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';

describe('COPY on PostgreSQL', { skip: !testEngines().includes('postgres') && 'no PostgreSQL (SPOOL_TEST_DATABASE_URL)' }, () => {
  let app: TestApp;
  before(async () => {
    app = await openTestApp('postgres');
    await sql`create table copy_check (id integer primary key, t text, n bigint)`.execute(app.store.db);
  });
  after(async () => app?.dispose());
  const rows = async (): Promise<unknown[][]> => (await sql<{ id: number; t: string | null; n: number | null }>`select id, t, n from copy_check order by id`.execute(app.store.db)).rows.map((r) => [r.id, r.t, r.n]);

  test('tabs, newlines, backslashes, \\N as text, nulls and Unicode round-trip', async () => {
    const values: unknown[][] = [
      [1, 'plain', 5], [2, 'tab\there', null], [3, 'line\nbreak\r\nand CR', 0], [4, 'back\\slash \\N \\t', -7],
      [5, '\\N', 2 ** 40], [6, null, null], [7, 'Zoë Ångström 王 🖨️', 1], [8, '', 2], [9, ' "quoted" , comma ', 3],
    ];
    assert.equal(await copyRows(app.store.db, 'copy_check', ['id', 't', 'n'], values), values.length);
    assert.deepEqual(await rows(), values);
  });

  test('inside a transaction that rolls back, nothing stays', async () => {
    await assert.rejects(app.store.db.transaction().execute(async (trx) => {
      await copyRows(trx, 'copy_check', ['id', 't', 'n'], [[100, 'x', 1], [101, 'y', 2]]);
      assert.equal((await sql<{ n: number }>`select count(*)::int as n from copy_check where id >= 100`.execute(trx)).rows[0]?.n, 2);
      throw new Error('roll back');
    }), /roll back/);
    assert.equal((await rows()).length, 9);
  });

  test('a failing COPY names the problem and leaves the connection usable', async () => {
    await assert.rejects(copyRows(app.store.db, 'copy_check', ['id', 't', 'n'], [[200, 'ok', 1], [1, 'duplicate id', 2]]),
      (e: Error & { code?: string }) => e.code === '23505' && /duplicate key/.test(e.message));
    await assert.rejects(copyRows(app.store.db, 'copy_check', ['id', 't', 'n'], [[201, 'ok', 'not a number']]), /invalid input syntax for type bigint/);
    // Every pooled connection still answers, and nothing of the failed loads stayed.
    const counts = await Promise.all(Array.from({ length: 12 }, () => sql<{ n: number }>`select count(*)::int as n from copy_check`.execute(app.store.db)));
    assert.deepEqual(new Set(counts.map((c) => c.rows[0]?.n)), new Set([9]));
  });
});
