/**
 * The real `spool sync ...` commands as scripts use them, against a real slapd: the JSON contract of
 * `spool sync now --json`, exit codes, dry run, delete protection, one sync at a time, the log and run history.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { sql } from 'kysely';
import { runCli } from './helpers/cli.ts';
import { cliEnv, openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings, storeDigest } from './sync-support.ts';

const BASE = 'dc=example,dc=com';
const dir = generateDirectory({ baseDn: BASE, users: 30, groups: 3, disabledEvery: 10 });

interface NowJson {
  runId: number | null;
  status: string;
  dryRun: boolean;
  durationMs: number;
  users: Record<string, number>;
  groups: Record<string, number>;
  memberships: Record<string, number>;
  changes?: { usersAdded: Array<{ username: string }> };
}

for (const engine of testEngines()) {
  describe(`spool sync (CLI) on ${engine}`, () => {
    let slapd: SlapdServer;
    let app: TestApp;
    const cli = (args: string[]) => runCli(args, cliEnv(app.db));
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir }), openTestApp(engine)]);
      await configure(app, slapdSettings(slapd, 'starttls'));
    });
    after(async () => {
      await app?.dispose();
      await slapd?.stop();
    });

    test('spool sync test --json reports the checks and exits 0 when all pass', { skip: engine !== 'sqlite' && 'engine-independent' }, async () => {
      const r = await cli(['sync', 'test', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = r.json<{ ok: boolean; steps: Array<{ step: string; ok: boolean }>; counts: { users: number } }>();
      assert.equal(j.ok, true);
      assert.equal(j.counts.users, 27);
    });

    test('spool sync now --json prints one object with the counts, duration and status', async () => {
      // A first sync with new users: the worker loads them with the users' indexes dropped and built again (PostgreSQL:
      // and the accounts' foreign key), and on SQLite the CLI's thread checkpoints them while the worker writes the
      // memberships (normally from 50,000 and 10,000 new users on).
      const indexes = async (): Promise<string[]> => (engine === 'sqlite'
        ? await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'users' order by name`.execute(app.store.db)
        : await sql<{ sql: string }>`select indexdef as sql from pg_indexes where tablename = 'users' union all
            select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'accounts'::regclass order by 1`.execute(app.store.db)).rows.map((i) => i.sql);
      const before = await indexes();
      const r = await runCli(['sync', 'now', '--json'], { ...cliEnv(app.db), SPOOL_SYNC_CHECKPOINT_USERS: '1', SPOOL_SYNC_REINDEX_USERS: '1', SPOOL_SYNC_DEBUG: '1' });
      assert.equal(r.code, 0, r.stderr);
      const checkpoint = /\[sync\] checkpoint of (\d+) of (\d+) WAL pages/.exec(r.stderr);
      if (engine === 'sqlite') {
        assert.ok(checkpoint && Number(checkpoint[2]) > 0, r.stderr);
        const ok = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(app.store.db);
        assert.deepEqual(ok.rows, [{ integrityCheck: 'ok' }]);
        assert.equal(before.length, 7);
      } else {
        assert.equal(checkpoint, null);
        assert.equal(before.length, 10, before.join('\n'));
        assert.ok(before.includes('FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE'), before.join('\n'));
      }
      assert.deepEqual(await indexes(), before, 'the same indexes (and on PostgreSQL, the accounts\' keys), built again');
      const taken = (await app.store.db.selectFrom('users').select('username').where('source', '=', 'ldap').executeTakeFirstOrThrow()).username;
      const now = new Date().toISOString();
      await assert.rejects(sql`insert into users (username, full_name, other_emails, source, attributes, created_at, updated_at) values (${taken}, '', '[]', 'internal', '{}', ${now}, ${now})`.execute(app.store.db), /UNIQUE|unique/, 'the unique username index is back');
      const j = r.json<NowJson>();
      for (const k of ['added', 'updated', 'renamed', 'disabled', 'deleted', 'unchanged']) assert.equal(typeof j.users[k], 'number', `users.${k}`);
      for (const k of ['added', 'updated', 'removed']) assert.equal(typeof j.groups[k], 'number', `groups.${k}`);
      for (const k of ['added', 'removed']) assert.equal(typeof j.memberships[k], 'number', `memberships.${k}`);
      assert.equal(typeof j.durationMs, 'number');
      assert.equal(j.status, 'succeeded');
      assert.equal(j.users.added, 27);
      assert.equal(j.groups.added, 3);
      assert.ok((j.memberships.added ?? 0) > 0);
      // The first sync ran in the sync worker's bundle (an empty store), this one runs in the CLI's own thread: both
      // must key entries alike, or every entry would be read whole again.
      const again = await cli(['sync', 'now', '--json']);
      assert.equal(again.json<NowJson>().users.unchanged, 27);
      const log = await app.services.sync.log(again.json<{ runId: number }>().runId, {});
      assert.ok(log.lines.some((l) => /27 entries unchanged since the last sync; group memberships unchanged/.test(l.message)), JSON.stringify(log.lines));
    });

    if (engine !== 'sqlite') return; // the rest is engine-independent CLI behaviour

    test('spool sync runs and spool sync log (--level) read the history', async () => {
      const runs = await cli(['sync', 'runs', '--json']);
      assert.equal(runs.code, 0, runs.stderr);
      const list = runs.json<Array<{ id: number; status: string; trigger: string }>>();
      assert.equal(list.length, 2);
      assert.deepEqual(list.map((x) => [x.status, x.trigger]), [['succeeded', 'cli'], ['succeeded', 'cli']]);
      const log = await cli(['sync', 'log', String(list[1]!.id), '--json']);
      assert.equal(log.code, 0, log.stderr);
      const lines = log.json<{ run: { id: number }; lines: Array<{ level: string; message: string }> }>();
      assert.equal(lines.run.id, list[1]!.id);
      assert.ok(lines.lines.some((l) => /Added user "user000001"/.test(l.message)));
      // Text: the outcome first, then the lines, and a word when the limit cut them short.
      const text = await cli(['sync', 'log', String(list[1]!.id), '--limit', '2']);
      const out = text.stdout.trim().split('\n');
      assert.match(out[0]!, /^Run #\d+ \(full, succeeded, started .*, \d+\.\d s\): users \+\d+ ~0 .*; memberships \+\d+ -0$/);
      assert.equal(out.length, 4);
      assert.match(out[1]!, /^\d\d:\d\d:\d\d (INFO |WARN ) /);
      assert.match(out[3]!, /more lines follow: --limit N/);
      const missing = await cli(['sync', 'log', '999', '--level', 'warn', '--json']);
      assert.equal(missing.code, 3);
      assert.equal(JSON.parse(missing.stderr).error.code, 'sync.run_not_found');
    });

    test('--dry-run shows the changes and writes nothing', async () => {
      await slapd.ldapAdd(`dn: uid=fresh,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: fresh\ncn: Fresh\nsn: Fresh\n`);
      const before = await storeDigest(app);
      const r = await cli(['sync', 'now', '--dry-run', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = r.json<NowJson>();
      assert.equal(j.dryRun, true);
      assert.deepEqual(j.changes?.usersAdded.map((a) => a.username), ['fresh']);
      assert.equal(await storeDigest(app), before);
    });

    test('delete protection: exit 1 with status "stopped" and the reason; --allow-mass-delete goes ahead', async () => {
      for (const i of [11, 12, 13, 14]) await slapd.ldapDelete(`uid=user0000${i},ou=people,${BASE}`);
      const r = await cli(['sync', 'now', '--json']);
      assert.equal(r.code, 1);
      const j = r.json<NowJson & { code: string; message: string }>();
      assert.equal(j.status, 'stopped');
      assert.equal(j.code, 'sync.delete_protection');
      assert.equal(JSON.parse(r.stderr).error.code, 'sync.delete_protection');
      const ok = await cli(['sync', 'now', '--allow-mass-delete', '--json']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.json<NowJson>().users.disabled, 4);
    });

    test('one sync at a time: a second sync is refused while the lease is held', async () => {
      const holder = `${os.hostname()}:${process.pid}:test`;
      const now = new Date();
      assert.ok(await app.deps.repos.leases.acquire('sync', holder, now.toISOString(), new Date(now.getTime() + 60_000).toISOString()));
      try {
        const r = await cli(['sync', 'now', '--json']);
        assert.equal(r.code, 1);
        assert.equal(JSON.parse(r.stderr).error.code, 'sync.already_running');
        assert.equal((await app.services.sync.status()).running, true);
      } finally {
        await app.deps.repos.leases.release('sync', holder);
      }
      // A lease left by a killed process (same host, process gone) does not block the next sync.
      await app.deps.repos.leases.acquire('sync', `${os.hostname()}:999999:dead`, now.toISOString(), new Date(now.getTime() + 60_000).toISOString());
      const r = await cli(['sync', 'now', '--json']);
      assert.equal(r.code, 0, r.stderr);
    });
  });
}
