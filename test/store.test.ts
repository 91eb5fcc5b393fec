/** The store suite, run once per engine (SQLite and a real PostgreSQL). */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { openStore } from '../src/store/database.ts';
import { rawRows } from '../src/store/raw-rows.ts';
import { migrateToLatest } from '../src/store/migrations/index.ts';
import { createTestDatabase, openTestApp, testEngines, type TestApp } from './helpers/stores.ts';

for (const engine of testEngines()) {
  describe(`store on ${engine}`, () => {
    let app: TestApp;
    before(async () => {
      app = await openTestApp(engine);
    });
    after(async () => app.dispose());

    test('usernames are unique case-insensitively and the duplicate is refused with 409', async () => {
      const u = await app.services.users.add({ username: 'MixedCase', fullName: 'Mixed Case', initialBalance: '3.50' }, 'test');
      assert.equal(u.username, 'mixedcase');
      await assert.rejects(app.services.users.add({ username: 'MIXEDCASE' }, 'test'), { code: 'users.duplicate_username', status: 409 });
      const shown = await app.services.users.show('MixedCase');
      assert.equal(shown.account?.balanceCents, 350);
      assert.equal(shown.transactions.length, 1);
    });

    test('balance adjustments are exact, recorded, and concurrent ones never lose a cent', async () => {
      await app.services.users.add({ username: 'counter' }, 'test');
      await Promise.all(Array.from({ length: 20 }, (_, i) => app.services.users.adjustBalance('counter', i % 2 ? '0.10' : '-0.05', 'test', 'test')));
      const { account, transactions } = await app.services.users.show('counter');
      assert.equal(account?.balanceCents, 10 * 10 - 10 * 5);
      assert.equal(transactions.length, 20);
      await assert.rejects(app.services.users.adjustBalance('counter', '0.001', 'x', 't'), { code: 'accounts.invalid_amount' });
      await assert.rejects(app.services.users.adjustBalance('counter', '1', '  ', 't'), { code: 'accounts.invalid_reason' });
      await assert.rejects(app.services.users.adjustBalance('nobody', '1', 'x', 't'), { code: 'users.not_found' });
    });

    test('a failed write inside a transaction leaves nothing half-written', async () => {
      const before = await app.deps.repos.users.count({});
      await assert.rejects(
        app.store.db.transaction().execute(async (trx) => {
          await trx.insertInto('users').values({ username: 'half', fullName: '', otherEmails: '[]', source: 'internal', attributes: '{}', disabled: 0, createdAt: 'x', updatedAt: 'x' }).execute();
          throw new Error('boom');
        }),
      );
      assert.equal(await app.deps.repos.users.count({}), before);
    });

    test('disable keeps balance and history; delete removes them', async () => {
      await app.services.users.add({ username: 'leaver', initialBalance: 2 }, 'test');
      const d = await app.services.users.setDisabled('leaver', true, 'test');
      assert.equal(d.disabled, true);
      assert.equal((await app.services.users.show('leaver')).account?.balanceCents, 200);
      await app.services.users.setDisabled('leaver', false, 'test');
      await app.services.users.remove('leaver', 'test');
      await assert.rejects(app.services.users.show('leaver'), { code: 'users.not_found' });
    });

    test('list searches, sorts and pages', async () => {
      for (const n of ['alpha', 'bravo', 'charlie']) await app.services.users.add({ username: `list-${n}`, fullName: `Person ${n}` }, 'test');
      const r = await app.services.users.list({ search: 'list-', sort: 'username', order: 'desc', limit: 2, offset: 0 });
      assert.equal(r.total, 3);
      assert.deepEqual(r.items.map((u) => u.username), ['list-charlie', 'list-bravo']);
      const byName = await app.services.users.list({ search: 'person b', limit: 10, offset: 0 });
      assert.deepEqual(byName.items.map((u) => u.username), ['list-bravo']);
      const wild = await app.services.users.list({ search: '%', limit: 10, offset: 0 });
      assert.equal(wild.total, 0, 'LIKE wildcards in a search are literal');
    });

    test('sync log lines keep the time they happened, not the time their batch was written', async () => {
      const runs = app.deps.repos.syncRuns;
      const id = await runs.start({ source: 'ldap', mode: 'full', trigger: 'manual', dryRun: false }, '2026-11-24T10:00:00.000Z');
      await runs.log(id, [
        { level: 'info', message: 'started', at: '2026-11-24T10:00:01.000Z' },
        { level: 'warn', message: 'later', entry: 'uid=x', at: '2026-11-24T10:05:00.000Z' },
        { level: 'info', message: 'unstamped' },
      ], '2026-11-24T10:06:00.000Z');
      const lines = await runs.lines(id, { limit: 10 });
      assert.deepEqual(lines.map((l) => [l.message, l.createdAt]), [
        ['started', '2026-11-24T10:00:01.000Z'], ['later', '2026-11-24T10:05:00.000Z'], ['unstamped', '2026-11-24T10:06:00.000Z'],
      ]);
      // "warn" is a floor (warnings and errors), searched over the whole run, however many info lines come first.
      await runs.log(id, [...Array.from({ length: 60 }, (_, i) => ({ level: 'info' as const, message: `added ${i}` })), { level: 'error', message: 'failed' }], '2026-11-24T10:07:00.000Z');
      const warn = await app.services.sync.log(id, { level: 'warn', limit: 5 });
      assert.deepEqual(warn.lines.map((l) => l.message), ['later', 'failed']);
      assert.equal(warn.more, false);
      const page = await app.services.sync.log(id, { limit: 2 });
      assert.deepEqual([page.lines.map((l) => l.message), page.more], [['started', 'later'], true]);
      const next = await app.services.sync.log(id, { limit: 100, afterId: page.lines[1]!.id });
      assert.deepEqual([next.lines.length, next.more], [62, false]);
    });

    test('secret settings are encrypted at rest and typed settings round-trip', async () => {
      await app.services.settings.set('ldap.bind-password', 'hunter2-very-secret', 'test');
      const raw = await app.deps.repos.settings.get('ldap.bind-password');
      assert.ok(raw && !raw.includes('hunter2'));
      assert.equal((await app.services.settings.describe('ldap.bind-password')).value, 'set');
      assert.equal(await app.services.settings.value('ldap.bind-password'), 'hunter2-very-secret');
      await app.services.settings.set('ldap.port', '636', 'test');
      assert.equal(await app.services.settings.value('ldap.port'), 636);
      await assert.rejects(app.services.settings.setMany({ 'ldap.port': '389', 'ldap.security': 'bogus' }, 'test'), { code: 'config.invalid_values' });
      assert.equal(await app.services.settings.value('ldap.port'), 636, 'nothing saved when one value is invalid');
    });

    test('leases let one holder at a time run, and expire', async () => {
      const { leases } = app.deps.repos;
      assert.equal(await leases.acquire('sync', 'a', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z'), true);
      assert.equal(await leases.acquire('sync', 'b', '2026-01-01T00:01:00Z', '2026-01-01T00:06:00Z'), false);
      assert.equal(await leases.acquire('sync', 'b', '2026-01-01T00:05:01Z', '2026-01-01T00:10:00Z'), true, 'expired lease taken over');
      await leases.release('sync', 'b');
      assert.equal(await leases.holder('sync', '2026-01-01T00:06:00Z'), undefined);
    });

    test('closing a store that only ran raw reads leaves no connection open', { skip: engine !== 'postgres' && 'PostgreSQL pools' }, async () => {
      // A no-change sync's worker reads through rawRows alone; its pool's idle client once kept the worker, and the
      // `spool` command, alive for 10 s after the sync.
      const db = await createTestDatabase(engine);
      const name = new URL(db.databaseUrl!).pathname.slice(1);
      const s = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, migrate: false });
      const admin = await openStore({ dataDir: db.dataDir, databaseUrl: process.env.SPOOL_TEST_DATABASE_URL, migrate: false });
      try {
        assert.deepEqual(await rawRows(s.db, 'select 1'), [[1]]);
        await s.close();
        const open = async (): Promise<number> => Number((await rawRows(admin.db, 'select count(*) from pg_stat_activity where datname = ?', [name]))[0]![0]);
        // The server ends a backend just after its client goes: wait for that (never 10 s).
        for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
        assert.equal(await open(), 0);
      } finally {
        await admin.close();
        await db.drop();
      }
    });

    /** Runs `fn` on a new database migrated up to `name` (a migration's upgrade path), then drops it. */
    const atMigration = async (name: string, fn: (raw: Kysely<unknown>, s: Awaited<ReturnType<typeof openStore>>) => Promise<void>): Promise<void> => {
      const db = await createTestDatabase(engine);
      const s = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, migrate: false });
      try {
        const raw = s.db as unknown as Kysely<unknown>;
        await migrateToLatest(raw, engine, name);
        await fn(raw, s);
      } finally {
        await s.close();
        await db.drop();
      }
    };

    test('migration 004 keeps every membership while it drops created_at (and on SQLite the rowid)', async () => {
      await atMigration('003-group-sync-key', async (raw, s) => {
        const now = '2026-01-01T00:00:00.000Z';
        await sql`insert into groups (name, name_key, source, attributes, created_at, updated_at) values ('g1', 'g1', 'internal', '{}', ${now}, ${now}), ('g2', 'g2', 'internal', '{}', ${now}, ${now})`.execute(raw);
        for (const u of ['u1', 'u2', 'u3']) await sql`insert into users (username, full_name, other_emails, source, attributes, created_at, updated_at) values (${u}, '', '[]', 'internal', '{}', ${now}, ${now})`.execute(raw);
        await sql`insert into memberships (group_id, user_id, direct, created_at) values (1, 1, 1, ${now}), (1, 2, 0, ${now}), (2, 3, 1, ${now})`.execute(raw);
        assert.deepEqual(await migrateToLatest(raw, engine, '004-slim-memberships'), ['004-slim-memberships']);
        const rows = await sql<{ groupId: number; userId: number; direct: number }>`select group_id, user_id, direct from memberships order by group_id, user_id`.execute(s.db);
        assert.deepEqual(rows.rows.map((r) => [r.groupId, r.userId, r.direct]), [[1, 1, 1], [1, 2, 0], [2, 3, 1]]);
        const cols = engine === 'sqlite'
          ? await sql<{ name: string }>`select name from pragma_table_info('memberships')`.execute(raw)
          : await sql<{ name: string }>`select column_name as name from information_schema.columns where table_name = 'memberships'`.execute(raw);
        assert.deepEqual(cols.rows.map((c) => c.name).sort(), ['direct', 'group_id', 'user_id']);
        if (engine === 'sqlite') {
          const def = await sql<{ sql: string }>`select sql from sqlite_master where name = 'memberships'`.execute(raw);
          assert.match(def.rows[0]!.sql, /without rowid/i);
        }
        // Still the same constraints: unique pairs, cascades with their user, the user index in place.
        await assert.rejects(sql`insert into memberships (group_id, user_id, direct) values (1, 1, 1)`.execute(raw));
        await sql`delete from users where id = 3`.execute(raw);
        assert.equal((await sql<{ n: number }>`select count(*) as n from memberships`.execute(raw)).rows[0]!.n, 2);
        const idx = engine === 'sqlite'
          ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'memberships' and name = 'memberships_user_idx'`.execute(raw)
          : await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'memberships' and indexname = 'memberships_user_idx'`.execute(raw);
        assert.equal(idx.rows.length, 1);
        assert.deepEqual(await migrateToLatest(raw, engine, '004-slim-memberships'), []);
      });
    });

    test('migration 005 makes the indexes of mostly empty columns partial, and lookups still use them', async () => {
      await atMigration('004-slim-memberships', async (raw) => {
        const now = '2026-01-01T00:00:00.000Z';
        await sql`insert into users (username, username_alias, card_number, scim_external_id, full_name, other_emails, source, attributes, created_at, updated_at) values ('u1', 'alias1', '1234', 'ext-1', '', '[]', 'scim', '{}', ${now}, ${now}), ('u2', null, null, null, '', '[]', 'ldap', '{}', ${now}, ${now})`.execute(raw);
        assert.deepEqual(await migrateToLatest(raw, engine), ['005-partial-indexes']);
        const names = ['users_external_idx', 'users_alias_idx', 'users_card_idx', 'groups_external_idx'];
        const defs = engine === 'sqlite'
          ? await sql<{ name: string; def: string }>`select name, sql as def from sqlite_master where type = 'index'`.execute(raw)
          : await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes`.execute(raw);
        for (const n of names) assert.match(defs.rows.find((r) => r.name === n)?.def ?? '', /where .+ is not null/i, n);
        if (engine === 'sqlite') {
          // The planner proves "col = ?" implies "col IS NOT NULL": the partial index answers these lookups.
          for (const [column, index] of [['scim_external_id', 'users_external_idx'], ['username_alias', 'users_alias_idx'], ['card_number', 'users_card_idx']] as const) {
            const plan = await sql<{ detail: string }>`explain query plan select id from users where ${sql.id(column)} = ${'x'}`.execute(raw);
            assert.match(plan.rows.map((r) => r.detail).join(' '), new RegExp(index), column);
          }
        }
        const found = await sql<{ username: string }>`select username from users where username_alias = 'alias1' or card_number = '1234' or scim_external_id = 'ext-1'`.execute(raw);
        assert.deepEqual(found.rows.map((r) => r.username), ['u1']);
        assert.deepEqual(await migrateToLatest(raw, engine), []);
      });
    });

    test('migrations are idempotent and safe when two nodes start at once', async () => {
      const [a, b] = await Promise.all([
        openStore({ dataDir: app.db.dataDir, databaseUrl: app.db.databaseUrl }),
        openStore({ dataDir: app.db.dataDir, databaseUrl: app.db.databaseUrl }),
      ]);
      await a.close();
      await b.close();
    });
  });
}

test('an unreachable PostgreSQL gives a clear error naming the host, without the password', async () => {
  const db = await createTestDatabase('sqlite');
  try {
    await assert.rejects(openStore({ dataDir: db.dataDir, databaseUrl: 'postgres://u:topsecret@127.0.0.1:1/x' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'store.unreachable');
      assert.match(e.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(e.message, /topsecret/);
      return true;
    });
  } finally {
    await db.drop();
  }
});

describe('SQLite WAL at close', () => {
  test('the CLI leaves the WAL for the next writer (checkpointOnClose: false); the default checkpoints and removes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-wal-'));
    try {
      const write = async (checkpointOnClose: boolean, name: string): Promise<void> => {
        const s = await openStore({ dataDir: dir, checkpointOnClose });
        await s.db.insertInto('settings').values({ key: name, value: '"x"', updatedAt: new Date().toISOString(), updatedBy: 'test' }).execute();
        await s.close();
      };
      await write(false, 'test.one');
      assert.ok(existsSync(join(dir, 'spool.sqlite-wal')), 'the WAL stays');
      await write(false, 'test.two');
      const s = await openStore({ dataDir: dir, migrate: false });
      const keys = (await s.db.selectFrom('settings').select('key').where('key', 'like', 'test.%').orderBy('key').execute()).map((r) => r.key);
      assert.deepEqual(keys, ['test.one', 'test.two']);
      await s.close();
      assert.ok(!existsSync(join(dir, 'spool.sqlite-wal')), 'a default close checkpoints and removes the WAL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
