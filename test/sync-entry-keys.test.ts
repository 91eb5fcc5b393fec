/**
 * Full syncs recognise unchanged entries by a hash of their bytes (users.sync_digest holds the entry's key,
 * domain/sync/fingerprint.ts entryKey) and decode no more of them than their names. What the bytes do not show
 * must still reach every row: a settings change that maps the same entries differently, and an expiry date that
 * passes while the entry stays as it was. Real slapd, SQLite and PostgreSQL, a test clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings, storeDigest } from './sync-support.ts';

const BASE = 'dc=keys,dc=example';
const dir = generateDirectory({ baseDn: BASE, users: 12, groups: 2, escapedDns: false });
const DAY = 86_400_000;
const EXPIRES = Date.UTC(2026, 5, 10); // shadowExpire is counted in days since 1970-01-01
const expiring = `uid=expiring,ou=people,${BASE}`;

for (const engine of testEngines()) {
  describe(`entry keys on ${engine}`, () => {
    let slapd: SlapdServer;
    let app: TestApp;
    let now = new Date(Date.UTC(2026, 5, 1));
    const lastReadLine = async (runId: number): Promise<string> => (await app.services.sync.log(runId, {})).lines.find((l) => /^Read \d+ user/.test(l.message))?.message ?? '';
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir }), openTestApp(engine, {}, () => now)]);
      await slapd.ldapAdd(`dn: ${expiring}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: shadowAccount\nuid: expiring\ncn: Expiring User\nsn: User\nuidNumber: 5000\ngidNumber: 5000\nhomeDirectory: /home/expiring\nemployeeNumber: 77\nshadowExpire: ${EXPIRES / DAY}\n`);
      await configure(app, slapdSettings(slapd, 'none'));
    });
    after(async () => {
      await app?.dispose();
      await slapd?.stop();
    });

    test('a second full sync recognises every entry by its key and writes nothing', async () => {
      const first = await app.services.sync.run({});
      assert.equal(first.status, 'succeeded', first.message);
      const users = first.users.added;
      assert.ok(users > 10);
      const before = await storeDigest(app);
      const again = await app.services.sync.run({});
      assert.equal(again.users.unchanged, users);
      assert.match(await lastReadLine(again.runId!), new RegExp(`; ${users} entries unchanged since the last sync\\.$`));
      assert.equal(await storeDigest(app), before);
    });

    test('a settings change that maps the same bytes differently reaches every row', async () => {
      const cards = await app.store.db.selectFrom('users').select('cardNumber').where('cardNumber', 'is not', null).execute();
      assert.ok(cards.length > 0);
      await configure(app, { 'ldap.card-transform': 'pad:12' });
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.equal(r.users.updated, cards.length, 'every user with a card number, though no entry changed');
      assert.doesNotMatch(await lastReadLine(r.runId!), /unchanged since the last sync/);
      const padded = await app.store.db.selectFrom('users').select('cardNumber').where('cardNumber', 'is not', null).execute();
      assert.ok(padded.every((c) => c.cardNumber!.length === 12), JSON.stringify(padded));
      const settled = await app.services.sync.run({});
      assert.equal(settled.users.updated, 0);
      assert.match(await lastReadLine(settled.runId!), /entries unchanged since the last sync/);
    });

    test('an expiry date that passes disables the user though the entry stays as it was', async () => {
      const u = await app.deps.repos.users.findByUsername('expiring');
      assert.ok(u && !u.disabled);
      now = new Date(EXPIRES + 2 * DAY);
      const r = await app.services.sync.run({});
      assert.equal(r.users.disabled, 1);
      assert.ok((await app.deps.repos.users.findByUsername('expiring'))?.disabled);
      const again = await app.services.sync.run({});
      assert.equal(again.users.disabled + again.users.updated, 0, 'and stays so, recognised by its new key');
    });
  });
}
