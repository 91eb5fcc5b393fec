/**
 * Incremental syncs (OpenLDAP modifyTimestamp) and paging under the server's size limit, against a real slapd.
 * The directory is loaded with change times in the past, as in a directory that has been in use for a while,
 * so that "changed since the last sync" means what it does in production.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings, storeCounts } from './sync-support.ts';

const BASE = 'dc=incr,dc=example';

/** The generator's LDIF with an old modifyTimestamp on every entry (one minute apart). */
function withOldStamps(chunks: Iterable<string>): Iterable<string> {
  let n = 0;
  const stamp = (): string => new Date(Date.UTC(2025, 0, 1) + n++ * 60_000).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  return (function* () {
    for (const c of chunks) yield c.replace(/\n\n/g, () => `\nmodifyTimestamp: ${stamp()}\n\n`);
  })();
}

for (const engine of testEngines()) {
  describe(`incremental LDAP sync on ${engine}`, () => {
    const dir = generateDirectory({ baseDn: BASE, users: 40, groups: 4 });
    let slapd: SlapdServer;
    let app: TestApp;
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: withOldStamps(dir.chunks()) }), openTestApp(engine)]);
      await configure(app, slapdSettings(slapd, 'none'));
    });
    after(async () => {
      await app?.dispose();
      await slapd?.stop();
    });

    test('without an earlier sync, an incremental request runs a full sync and says why', async () => {
      const r = await app.services.sync.run({ incremental: true });
      assert.equal(r.status, 'succeeded');
      assert.equal(r.mode, 'full');
      assert.match(r.sources[0]?.fellBack ?? '', /no earlier successful sync/);
      assert.equal(r.users.added, 40);
    });

    test('an incremental sync reads only the entries changed since the last sync', async () => {
      await slapd.ldapModify(['user000010', 'user000017'].map((u) => `dn: uid=${u},ou=people,${BASE}\nchangetype: modify\nreplace: departmentNumber\ndepartmentNumber: Night Shift\n`).join('\n'));
      const r = await app.services.sync.run({ incremental: true });
      assert.equal(r.status, 'succeeded');
      assert.equal(r.mode, 'incremental');
      assert.equal(r.sources[0]?.usersRead, 2);
      assert.equal(r.sources[0]?.groupsRead, false, 'no group changed: groups are not read');
      assert.equal(r.users.updated, 2);
      assert.equal((await app.deps.repos.users.findByUsername('user000017'))?.department, 'Night Shift');
      const again = await app.services.sync.run({ incremental: true });
      assert.equal(again.users.updated, 0, 'already applied');
      assert.ok((again.sources[0]?.usersRead ?? 99) <= 2);
    });

    test('a new user added to a group: the changed group is read and the membership applied', async () => {
      await slapd.ldapAdd(`dn: uid=latecomer,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: latecomer\ncn: Late Comer\nsn: Comer\n`);
      await slapd.ldapModify(`dn: cn=group0001,ou=groups,${BASE}\nchangetype: modify\nadd: member\nmember: uid=latecomer,ou=people,${BASE}\n`);
      const r = await app.services.sync.run({ incremental: true });
      assert.equal(r.mode, 'incremental');
      assert.equal(r.users.added, 1);
      assert.equal(r.sources[0]?.groupsRead, true);
      assert.equal(r.memberships.added, 1);
      assert.equal(r.memberships.removed, 0, 'members not re-read in this run are known from the store');
      const late = await app.deps.repos.users.findByUsername('latecomer');
      assert.deepEqual((await app.deps.repos.users.groupsOf(late!.id)).map((g) => g.name), ['group0001']);
    });

    test('deletions are not visible to an incremental sync; the next full sync disables the user', async () => {
      await slapd.ldapDelete(`uid=user000030,ou=people,${BASE}`);
      const inc = await app.services.sync.run({ incremental: true });
      assert.equal(inc.users.disabled, 0);
      const full = await app.services.sync.run({});
      assert.equal(full.mode, 'full');
      assert.equal(full.users.disabled, 1);
      assert.equal((await app.deps.repos.users.findByUsername('user000030'))?.disabled, 1);
    });
  });

  describe(`paging under a server size limit on ${engine}`, () => {
    const dir = generateDirectory({ baseDn: BASE, users: 600, groups: 3, membershipsPerUser: 1, escapedDns: false });
    let slapd: SlapdServer;
    let app: TestApp;
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir, sizeLimit: 500 }), openTestApp(engine)]);
      await configure(app, slapdSettings(slapd, 'none', { 'ldap.page-size': 200 }));
    });
    after(async () => {
      await app?.dispose();
      await slapd?.stop();
    });

    test('600 users with a size limit of 500 for the sync account: paged results read them all', async () => {
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.equal(r.users.added, 600);
      assert.equal(r.memberships.added, 600);
      assert.equal((await storeCounts(app)).users, 600);
    });
  });
}
