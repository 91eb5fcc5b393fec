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
const keyedGroup = `cn=keyed,${dir.groupsDn}`;

async function memberCount(app: TestApp, group: string): Promise<number> {
  const r = await app.store.db.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.groupId').where('groups.name', '=', group)
    .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

for (const engine of testEngines()) {
  describe(`entry keys on ${engine}`, () => {
    let slapd: SlapdServer;
    let app: TestApp;
    let now = new Date(Date.UTC(2026, 5, 1));
    const lastReadLine = async (runId: number): Promise<string> => (await app.services.sync.log(runId, {})).lines.find((l) => /^Read \d+ user/.test(l.message))?.message ?? '';
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir }), openTestApp(engine, {}, () => now)]);
      await slapd.ldapAdd(`dn: ${expiring}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: shadowAccount\nuid: expiring\ncn: Expiring User\nsn: User\nuidNumber: 5000\ngidNumber: 5000\nhomeDirectory: /home/expiring\nemployeeNumber: 77\nshadowExpire: ${EXPIRES / DAY}\n`);
      await slapd.ldapAdd(`dn: ${keyedGroup}\nobjectClass: groupOfNames\ncn: keyed\nmember: ${dir.user(0).dn}\nmember: ${dir.user(1).dn}\n`);
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
      assert.match(await lastReadLine(again.runId!), new RegExp(`; ${users} entries unchanged since the last sync; group memberships unchanged\\.$`));
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

    test('group members changed in the directory: memberships compared again, then recognised again', async () => {
      const before = await memberCount(app, 'keyed');
      await slapd.ldapModify(`dn: ${keyedGroup}\nchangetype: modify\nadd: member\nmember: ${dir.user(2).dn}\n`);
      const r = await app.services.sync.run({});
      assert.equal(r.memberships.added, 1);
      assert.doesNotMatch(await lastReadLine(r.runId!), /group memberships unchanged/);
      assert.equal(await memberCount(app, 'keyed'), before + 1);
      const again = await app.services.sync.run({});
      assert.match(await lastReadLine(again.runId!), /group memberships unchanged/);
    });

    test('members removed outside a sync are put back: the group loses its key', async () => {
      const g = await app.deps.repos.groups.findByName('keyed');
      const u = await app.deps.repos.users.findByUsername(dir.user(2).uid);
      await app.deps.repos.groups.removeMembers(g!.id, [u!.id]);
      const r = await app.services.sync.run({});
      assert.equal(r.memberships.added, 1);
      assert.doesNotMatch(await lastReadLine(r.runId!), /group memberships unchanged/);
    });

    test('an incremental sync that changes details keeps the group keys; one that moves a user voids them', async () => {
      const keyed = async (): Promise<number> => (await app.store.db.selectFrom('groups').select('syncKey').where('source', '=', 'ldap').where('syncKey', 'is not', null).execute()).length;
      const before = await keyed();
      assert.ok(before > 0);
      await slapd.ldapModify(`dn: ${dir.user(3).dn}\nchangetype: modify\nreplace: departmentNumber\ndepartmentNumber: Keys\n`);
      const inc = await app.services.sync.run({ incremental: true });
      assert.equal(inc.mode, 'incremental');
      assert.equal(inc.users.updated, 1);
      assert.equal(await keyed(), before, 'a detail change does not touch what member values resolve to');
      const full = await app.services.sync.run({});
      assert.match(await lastReadLine(full.runId!), /group memberships unchanged/);

      await slapd.ldapModify(`dn: ${dir.user(5).dn}\nchangetype: modrdn\nnewrdn: uid=moved5\ndeleteoldrdn: 1\n`);
      const moved = await app.services.sync.run({ incremental: true });
      assert.equal(moved.mode, 'incremental');
      assert.equal(moved.users.renamed, 1);
      assert.equal(await keyed(), 0);
      const next = await app.services.sync.run({});
      assert.doesNotMatch(await lastReadLine(next.runId!), /group memberships unchanged/);
      const again = await app.services.sync.run({});
      assert.match(await lastReadLine(again.runId!), /group memberships unchanged/);
    });

    test('a user gone from the directory: memberships are compared, the user disabled with them kept', async () => {
      await slapd.ldapDelete(dir.user(4).dn);
      const r = await app.services.sync.run({});
      assert.equal(r.users.disabled, 1);
      assert.doesNotMatch(await lastReadLine(r.runId!), /group memberships unchanged/);
    });
  });
}
