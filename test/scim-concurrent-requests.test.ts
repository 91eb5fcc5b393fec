/**
 * SCIM requests that arrive together: on SQLite their reads share one read snapshot (scim/reader.ts) and their
 * writes one commit (store/grouped-transactions.ts). Each request must still behave exactly as if it ran alone:
 * its own rows, all or nothing, read-your-writes. Also the bearer-token cache: revocation takes effect at once
 * through this server, and within TOKEN_TTL_MS when made elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { buildHttpServer } from '../src/http/server.ts';
import { openReader } from '../src/scim/reader.ts';
import { TOKEN_TTL_MS } from '../src/scim/scim-settings.ts';
import { groupedTransactions } from '../src/store/grouped-transactions.ts';
import { GROUP_SCHEMA, entraUser, patchOps, q, scimClient, startScimServer, type ScimTestServer } from './scim-client.ts';
import { openTestApp, testEngines } from './helpers/stores.ts';

for (const engine of testEngines()) {
  describe(`SCIM: concurrent requests on ${engine}`, () => {
    let s: ScimTestServer;
    before(async () => {
      s = await startScimServer(engine);
    });
    after(async () => s.dispose());

    test('concurrent lookups each get their own user', async () => {
      const created = await Promise.all(Array.from({ length: 12 }, (_, i) => s.client.post('Users', entraUser({ userName: `lookup-${i}@concurrent.example`, emails: [] }))));
      for (const r of created) assert.equal(r.status, 201, r.text);
      const found = await Promise.all(created.map((_, i) => s.client.get(`Users?filter=${q(`userName eq "lookup-${i}@concurrent.example"`)}`)));
      found.forEach((r, i) => {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.totalResults, 1);
        assert.equal(r.body.Resources[0].id, created[i]?.body.id);
      });
      const byId = await Promise.all(created.map((c) => s.client.get(`Users/${c.body.id as string}`)));
      byId.forEach((r, i) => assert.equal(r.body.userName, `lookup-${i}@concurrent.example`));
    });

    test('concurrent creates of one userName: one is created, the other is told it exists', async () => {
      const body = entraUser({ userName: 'twice@concurrent.example', emails: [] });
      const results = await Promise.all([s.client.post('Users', body), s.client.post('Users', body), s.client.post('Users', entraUser({ emails: [] }))]);
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 409], results.map((r) => r.text).join('\n'));
      const found = await s.client.get(`Users?filter=${q('userName eq "twice@concurrent.example"')}`);
      assert.equal(found.body.totalResults, 1);
    });

    test('concurrent member PATCHes: the failing ones change nothing, the others all apply', async () => {
      const users = await Promise.all(Array.from({ length: 6 }, (_, i) => s.client.post('Users', entraUser({ userName: `member-${i}@concurrent.example`, emails: [] }))));
      const ids = users.map((u) => u.body.id as string);
      const group = await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Concurrent', members: [{ value: ids[0] }] });
      assert.equal(group.status, 201, group.text);
      const gid = group.body.id as string;
      const version = (etag: string): number => Number(/\d+/.exec(etag)?.[0]);
      const before = version(group.body.meta.version as string);

      const results = await Promise.all([
        s.client.patch(`Groups/${gid}`, patchOps({ op: 'add', path: 'members', value: [{ value: ids[1] }] })),
        s.client.patch(`Groups/${gid}`, patchOps({ op: 'add', path: 'members', value: [{ value: ids[2] }] }), { 'if-match': 'W/"424242"' }),
        s.client.patch(`Groups/${gid}`, patchOps({ op: 'add', path: 'members', value: [{ value: ids[3] }, { value: '999999999' }] })),
        s.client.patch(`Groups/${gid}`, patchOps({ op: 'remove', path: `members[value eq "${ids[0]}"]` })),
        s.client.patch(`Groups/${gid}`, patchOps({ op: 'add', path: 'members', value: [{ value: ids[4] }] })),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        [204, 412, 400, 204, 204],
        results.map((r) => r.text).join('\n'),
      );

      const now = await s.client.get(`Groups/${gid}`);
      const members = ((now.body.members ?? []) as Array<{ value: string }>).map((m) => m.value).sort();
      assert.deepEqual(members, [ids[1], ids[4]].sort(), 'the refused requests added nobody (not even the valid id of the 400)');
      assert.equal(version(now.body.meta.version as string), before + 3, 'one new version per applied PATCH; refused ones leave none');
      const listed = await s.client.get(`Groups?filter=${q(`members[value eq "${ids[4]}"]`)}&excludedAttributes=members`);
      assert.equal(listed.body.totalResults, 1, 'a read after the answers sees the writes');
    });

    const entry = (summary: string) => ({ createdAt: new Date().toISOString(), method: 'TEST', path: '/grouped', operation: 'test', status: 200, ok: 1, durationMs: 0, summary });
    const count = async (trx: ScimTestServer['app']['store']['db'], summary: string): Promise<number> =>
      Number((await trx.selectFrom('scimLog').select((eb) => eb.fn.countAll<number>().as('n')).where('summary', '=', summary).executeTakeFirstOrThrow()).n);

    test('grouped transactions: together, in queue order', async () => {
      const db = s.app.store.db;
      const run = groupedTransactions(db, s.app.store.engine);
      const values = await Promise.all([
        run(async (_repos, trx) => {
          await trx.insertInto('scimLog').values(entry('together-x')).execute();
          return 'x';
        }),
        run(async (_repos, trx) => (engine === 'sqlite' ? count(trx, 'together-x') : 1)), // on SQLite, after x in the same transaction
        run(async (repos) => (await repos.settings.get('scim.delete-mode')) ?? 'default'),
      ]);
      assert.deepEqual(values, ['x', 1, 'default']);
      assert.equal(await count(db, 'together-x'), 1);
    });

    test('grouped transactions: one that fails changes nothing, the others apply', async () => {
      const db = s.app.store.db;
      const run = groupedTransactions(db, s.app.store.engine);
      const outcomes = await Promise.allSettled([
        run(async (_repos, trx) => {
          await trx.insertInto('scimLog').values(entry('grouped-a')).execute();
          return 'a';
        }),
        run(async (_repos, trx) => {
          await trx.insertInto('scimLog').values(entry('grouped-b')).execute();
          throw new Error('b fails after writing');
        }),
        run(async (_repos, trx) => {
          await trx.insertInto('scimLog').values(entry('grouped-c')).execute();
          return engine === 'sqlite' ? count(trx, 'grouped-a') : 1; // on SQLite, c runs after a (committed)
        }),
      ]);
      assert.deepEqual(outcomes[0], { status: 'fulfilled', value: 'a' });
      assert.equal(outcomes[1].status, 'rejected');
      assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /b fails after writing/);
      assert.deepEqual(outcomes[2], { status: 'fulfilled', value: 1 });
      assert.deepEqual([await count(db, 'grouped-a'), await count(db, 'grouped-b'), await count(db, 'grouped-c')], [1, 0, 1]);
    });

    test('a read that fails does not fail the reads queued with it', async () => {
      const { reader, close } = openReader(s.app.store, s.app.db.dataDir);
      try {
        const outcomes = await Promise.allSettled([
          reader.all<{ n: number }>(sql`SELECT 1 AS "n"`),
          reader.all<{ n: number }>(engine === 'sqlite' ? sql`SELECT json_extract('not json', '$.a') AS "n"` : sql`SELECT CAST('not json' AS jsonb) AS "n"`),
          reader.all<{ n: number }>(sql`SELECT 2 AS "n"`),
        ]);
        assert.deepEqual(outcomes[0], { status: 'fulfilled', value: [{ n: 1 }] });
        assert.equal(outcomes[1].status, 'rejected');
        assert.deepEqual(outcomes[2], { status: 'fulfilled', value: [{ n: 2 }] });
      } finally {
        close();
      }
    });
  });

  describe(`SCIM: token cache on ${engine}`, () => {
    test('revocation: at once through this server, within TOKEN_TTL_MS when made elsewhere', async () => {
      let now = Date.parse('2026-01-05T08:00:00Z');
      const app = await openTestApp(engine, {}, () => new Date(now));
      const http = (await buildHttpServer(app)).app;
      try {
        const elsewhere = await app.services.scim.tokens.create('revoked elsewhere', 'test');
        const here = await app.services.scim.tokens.create('revoked here', 'test');
        const viaElsewhere = scimClient(http, () => elsewhere.token);
        const viaHere = scimClient(http, () => here.token);
        assert.equal((await viaElsewhere.get('Users')).status, 200);
        assert.equal((await viaHere.get('Users')).status, 200);

        await app.services.scim.tokens.revoke(here.id, 'test');
        assert.equal((await viaHere.get('Users')).status, 401, 'revoked through this server: refused at once');

        // The auth service alone, as the CLI or another node would revoke: this server's cache is not told.
        await app.services.auth.revokeToken('scim', elsewhere.id, 'test');
        now += TOKEN_TTL_MS + 1;
        assert.equal((await viaElsewhere.get('Users')).status, 401, `refused at most ${TOKEN_TTL_MS} ms after a revocation made elsewhere`);
      } finally {
        await http.close();
        await app.dispose();
      }
    });
  });
}
