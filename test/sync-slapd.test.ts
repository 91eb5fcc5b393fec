/**
 * LDAP sync against a real OpenLDAP slapd (test/harness/slapd.ts), on SQLite and PostgreSQL: the life of a
 * directory over several syncs. Tests in a describe build on each other (the directory and the store evolve).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { normalizeDn } from '../src/directory/ldap/index.ts';
import { DIRECTORY_PIN_PURPOSE, verifyPin } from '../src/security/pins.ts';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings, storeCounts, storeDigest } from './sync-support.ts';

const BASE = 'dc=example,dc=com';
// 60 users (3 disabled: every 20th), 10 groups (one posixGroup, one groupOfUniqueNames) + nested-top ⊃ nested-middle ⊃ group0003,
// and the cycle cycle-a ⊃ cycle-b ⊃ cycle-a. Users 1-4 have DNs with escaped characters, 5-7 Unicode names.
const dir = generateDirectory({ baseDn: BASE, users: 60, groups: 10, nested: true, unicode: true, disabledEvery: 20 });
const ACTIVE = 57;

/** Expected memberships (direct and nested, imported users only) per group name, from the generator's data. */
function expectedMembers(): Map<string, Map<string, number>> {
  const groups = dir.groups();
  const byDn = new Map(groups.map((g) => [g.dn.toLowerCase(), g]));
  const out = new Map<string, Map<string, number>>();
  for (const g of groups) {
    const m = new Map<string, number>();
    const add = (i: number, direct: number): void => {
      if (dir.user(i).disabled) return;
      const name = dir.user(i).uid;
      m.set(name, Math.max(m.get(name) ?? 0, direct));
    };
    for (const i of g.userMembers) add(i, 1);
    const seen = new Set([g.dn.toLowerCase()]);
    const stack = [...g.groupMembers];
    while (stack.length) {
      const sub = byDn.get(stack.pop()!.toLowerCase());
      if (!sub || seen.has(sub.dn.toLowerCase())) continue;
      seen.add(sub.dn.toLowerCase());
      for (const i of sub.userMembers) add(i, 0);
      stack.push(...sub.groupMembers);
    }
    out.set(g.cn, m);
  }
  return out;
}

async function membersOf(app: TestApp, group: string): Promise<Map<string, number>> {
  const rows = await app.store.db.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.groupId').innerJoin('users', 'users.id', 'memberships.userId')
    .select(['users.username', 'memberships.direct']).where('groups.name', '=', group).execute();
  return new Map(rows.map((r) => [r.username, r.direct]));
}

const user = (app: TestApp, name: string) => app.deps.repos.users.findByUsername(name);
const balance = async (app: TestApp, name: string): Promise<number | undefined> => {
  const u = await user(app, name);
  return u ? (await app.deps.repos.accounts.get(u.id))?.balanceCents : undefined;
};

for (const engine of testEngines()) {
  describe(`LDAP sync from OpenLDAP on ${engine}`, () => {
    let slapd: SlapdServer;
    let app: TestApp;
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir, sizeLimit: 25 }), openTestApp(engine)]);
      // Page size 10 under a server size limit of 25: only paged searches (RFC 2696) can read everything.
      await configure(app, slapdSettings(slapd, 'starttls', { 'ldap.page-size': 10 }));
    });
    after(async () => {
      await app?.dispose();
      await slapd?.stop();
    });

    test('first full sync: every active user, group and (nested) membership, with escaped and Unicode DNs', async () => {
      const r = await app.services.sync.run({ trigger: 'cli' });
      assert.equal(r.status, 'succeeded', r.message);
      assert.deepEqual(r.users, { added: ACTIVE, updated: 0, renamed: 0, disabled: 0, deleted: 0, unchanged: 0, skipped: 0 });
      const expected = expectedMembers();
      assert.equal(r.groups.added, expected.size);
      const total = [...expected.values()].reduce((a, m) => a + m.size, 0);
      assert.equal(r.memberships.added, total);
      const c = await storeCounts(app);
      assert.deepEqual([c.users, c.accounts, c.groups, c.memberships], [ACTIVE, ACTIVE, expected.size, total]);
      for (const [name, members] of expected) assert.deepEqual(await membersOf(app, name), members, `members of ${name}`);
      // Nested: nested-top has no direct members; the cycle resolves both ways without looping.
      assert.ok([...(await membersOf(app, 'nested-top')).values()].every((d) => d === 0));
      assert.deepEqual(await membersOf(app, 'cycle-a'), new Map([['user000001', 1], ['user000002', 0]]));
      const smith = await user(app, 'user000002');
      assert.equal(smith?.fullName, 'Smith, John');
      // slapd writes the comma as \2C; any spelling of the same DN matches.
      assert.equal(normalizeDn(smith?.ldapDn ?? ''), normalizeDn('cn=Smith\\, John,ou=people,dc=example,dc=com'));
      assert.match(smith?.sourceId ?? '', /^[0-9a-f-]{36}$/, 'entryUUID is the stable id');
      assert.equal((await user(app, 'user000008'))?.fullName, '李小龍');
      assert.equal(await user(app, 'user000020'), undefined, 'disabled in the directory: not imported');
      const run = (await app.services.sync.runs(1))[0];
      assert.equal(run?.status, 'succeeded');
    });

    test('a second sync changes nothing', async () => {
      const before = await storeDigest(app);
      const r = await app.services.sync.run({});
      assert.deepEqual(r.users, { added: 0, updated: 0, renamed: 0, disabled: 0, deleted: 0, unchanged: ACTIVE, skipped: 0 });
      assert.deepEqual([r.groups.added, r.groups.updated, r.groups.removed, r.memberships.added, r.memberships.removed], [0, 0, 0, 0, 0]);
      assert.equal(await storeDigest(app), before);
    });

    test('member values spelt other than the entry DN (other case, other escaping) still name the user', async () => {
      let plain = 10;
      while (dir.user(plain).disabled) plain++;
      const escaped = dir.user(1); // cn=Smith\, John: here spelt with a hex escape instead
      assert.ok(escaped.dn.startsWith('cn=Smith\\, John,'));
      const upper = `UID=${dir.user(plain).uid},OU=PEOPLE,${BASE.toUpperCase()}`;
      await slapd.ldapAdd(`dn: cn=spelling,ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: spelling\nmember: ${upper}\nmember: ${escaped.dn.replace('\\,', '\\2C')}\n`);
      try {
        const r = await app.services.sync.run({});
        assert.equal(r.groups.added, 1);
        assert.deepEqual(await membersOf(app, 'spelling'), new Map([[dir.user(plain).uid, 1], [escaped.uid, 1]]));
      } finally {
        await slapd.ldapDelete(`cn=spelling,ou=groups,${BASE}`);
        assert.equal((await app.services.sync.run({})).groups.removed, 1);
      }
    });

    test('a row changed by anything but the sync loses its digest, is compared in full and put back', async () => {
      const digestOf = async (name: string): Promise<number | null> =>
        (await app.store.db.selectFrom('users').select('syncDigest').where('username', '=', name).executeTakeFirstOrThrow()).syncDigest;
      const u = (await user(app, 'user000012'))!;
      assert.notEqual(await digestOf('user000012'), null, 'the sync stores a digest with every row it writes');
      // Writing the same values is no change: the digest stays.
      await app.deps.repos.users.update(u.id, { email: u.email, department: u.department });
      assert.notEqual(await digestOf('user000012'), null);
      await app.deps.repos.users.update(u.id, { email: 'changed.locally@example.org' });
      assert.equal(await digestOf('user000012'), null, 'the trigger clears the digest of a row another writer changed');
      const r = await app.services.sync.run({});
      assert.equal(r.users.updated, 1);
      assert.equal((await user(app, 'user000012'))?.email, u.email, 'the directory value is back');
      assert.notEqual(await digestOf('user000012'), null);
    });

    test('rows without a digest (a store from before digests) are compared in full, then get one; nothing counts as changed', async () => {
      await app.store.db.updateTable('users').set({ syncDigest: null }).execute();
      const r = await app.services.sync.run({});
      assert.deepEqual(r.users, { added: 0, updated: 0, renamed: 0, disabled: 0, deleted: 0, unchanged: ACTIVE, skipped: 0 });
      const missing = await app.store.db.selectFrom('users').select('username').where('source', '=', 'ldap').where('syncDigest', 'is', null).execute();
      assert.deepEqual(missing, []);
      const before = await storeDigest(app);
      await app.services.sync.run({});
      assert.equal(await storeDigest(app), before, 'and the next sync writes nothing');
    });

    test('a renamed user (same entryUUID, new uid) keeps account, balance, history and groups', async () => {
      await app.services.users.adjustBalance('user000010', '5.00', 'Term credit', 'test');
      const before = await user(app, 'user000010');
      const groupsBefore = await app.deps.repos.users.groupsOf(before!.id);
      await slapd.ldapModify(`dn: uid=user000010,ou=people,${BASE}\nchangetype: modrdn\nnewrdn: uid=renamed10\ndeleteoldrdn: 1\n`);
      const r = await app.services.sync.run({});
      assert.equal(r.users.renamed, 1);
      assert.equal(r.users.added, 0);
      assert.equal(r.users.disabled, 0);
      const after = await user(app, 'renamed10');
      assert.equal(after?.id, before?.id);
      assert.equal(after?.ldapDn, `uid=renamed10,ou=people,${BASE}`);
      assert.equal(await balance(app, 'renamed10'), 500);
      assert.equal((await app.deps.repos.accounts.transactions(after!.id)).length, 1);
      assert.deepEqual(await app.deps.repos.users.groupsOf(after!.id), groupsBefore);
      assert.equal(await user(app, 'user000010'), undefined);
      const log = await app.services.sync.log(r.runId!);
      assert.ok(log.lines.some((l) => /Renamed user "user000010" to "renamed10"/.test(l.message)));
    });

    test('a user removed from the directory is disabled (default policy) with balance and history kept', async () => {
      await app.services.users.adjustBalance('user000011', '2.00', 'Top-up', 'test');
      await slapd.ldapDelete(`uid=user000011,ou=people,${BASE}`);
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded');
      assert.equal(r.users.disabled, 1);
      assert.equal(r.users.deleted, 0);
      const u = await user(app, 'user000011');
      assert.equal(u?.disabled, 1);
      assert.equal(u?.disabledReason, 'missing-from-source');
      assert.equal(await balance(app, 'user000011'), 200);
      assert.equal((await app.deps.repos.users.groupsOf(u!.id)).length, 0, 'no longer a member of directory groups');
    });

    test('delete protection stops a sync that would disable more than 10% and --allow-mass-delete lets it through', async () => {
      for (const i of [12, 13, 14, 15, 16, 17, 18]) await slapd.ldapDelete(`uid=user0000${i},ou=people,${BASE}`);
      const before = await storeDigest(app);
      const stopped = await app.services.sync.run({});
      assert.equal(stopped.status, 'stopped');
      assert.equal(stopped.code, 'sync.delete_protection');
      assert.match(stopped.message ?? '', /7 of the 57 users.*10%/);
      assert.match(stopped.hint ?? '', /--allow-mass-delete/);
      assert.equal(await storeDigest(app), before, 'nothing changed');
      assert.equal((await app.services.sync.runs(1))[0]?.status, 'stopped');
      const ok = await app.services.sync.run({ allowMassDelete: true });
      assert.equal(ok.status, 'succeeded');
      assert.equal(ok.users.disabled, 7);
    });

    test('a dry run reports exactly what would change and writes nothing', async () => {
      await slapd.ldapAdd(`dn: uid=newbie,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: newbie\ncn: New Bie\nsn: Bie\nmail: newbie@example.com\n`);
      await slapd.ldapModify(`dn: uid=user000021,ou=people,${BASE}\nchangetype: modify\nreplace: departmentNumber\ndepartmentNumber: Printing\n`);
      const before = await storeDigest(app);
      const runs = (await app.services.sync.runs(100)).length;
      const r = await app.services.sync.run({ dryRun: true });
      assert.equal(r.dryRun, true);
      assert.equal(r.runId, null);
      assert.deepEqual([r.users.added, r.users.updated], [1, 1]);
      assert.deepEqual(r.changes?.usersAdded.map((a) => a.username), ['newbie']);
      assert.deepEqual(r.changes?.usersUpdated, [{ username: 'user000021', changes: ['details'] }]);
      assert.equal(await storeDigest(app), before);
      assert.equal((await app.services.sync.runs(100)).length, runs, 'no run recorded');
      const real = await app.services.sync.run({});
      assert.deepEqual([real.users.added, real.users.updated], [1, 1]);
      assert.equal((await user(app, 'user000021'))?.department, 'Printing');
    });

    test('new users get the most generous initial account of their groups, else the site default, with the credit on record', async () => {
      const g = dir.groups().find((x) => x.kind === 'groupOfNames' && x.groupMembers.length === 0)!;
      await app.services.groups.setPolicy(g.cn, { initialCredit: '7.50', initialRestricted: false }, 'test');
      await app.services.settings.set('sync.initial-credit-cents', '125', 'test');
      try {
        await slapd.ldapAdd(`dn: uid=creditme,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: creditme\ncn: Credit Me\nsn: Me\n\ndn: uid=plainnew,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: plainnew\ncn: Plain New\nsn: New\n`);
        await slapd.ldapModify(`dn: ${g.dn}\nchangetype: modify\nadd: member\nmember: uid=creditme,ou=people,${BASE}\n`);
        const r = await app.services.sync.run({});
        assert.equal(r.status, 'succeeded');
        assert.equal(r.users.added, 2);
        assert.equal(await balance(app, 'creditme'), 750, 'the group\'s initial credit');
        assert.equal(await balance(app, 'plainnew'), 125, 'the site default');
        for (const [name, cents] of [['creditme', 750], ['plainnew', 125]] as const) {
          const t = await app.deps.repos.accounts.transactions((await user(app, name))!.id);
          assert.deepEqual(t.map((x) => [x.amountCents, x.balanceAfterCents, x.reason, x.actor]), [[cents, cents, 'Initial credit', 'sync:manual']], name);
        }
        assert.equal((await membersOf(app, g.cn)).get('creditme'), 1);
      } finally {
        await app.services.groups.setPolicy(g.cn, { initialCredit: null, initialRestricted: null }, 'test');
        await app.services.settings.set('sync.initial-credit-cents', '0', 'test');
      }
    });

    test('two entries with one username are reported naming both; neither wins; the rest syncs', async () => {
      await slapd.ldapAdd(`dn: uid=twin,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: twin\ncn: Twin One\nsn: One\n\ndn: cn=Twin Two,ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: TWIN\ncn: Twin Two\nsn: Two\n`);
      await slapd.ldapModify(`dn: uid=user000022,ou=people,${BASE}\nchangetype: modify\nreplace: cn\ncn: Changed Name\n`);
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded');
      assert.equal(r.users.added, 0);
      assert.equal(r.users.updated, 1, 'the rest syncs');
      assert.equal(r.users.skipped, 2);
      assert.equal(await user(app, 'twin'), undefined);
      const errors = await app.services.sync.log(r.runId!, { level: 'error' });
      const line = errors.lines.find((l) => l.message.includes('"twin"'));
      assert.ok(line, JSON.stringify(errors.lines));
      assert.match(line.message, new RegExp(`uid=twin,ou=people,${BASE}.*cn=Twin Two,ou=people,${BASE}`));
    });

    test('a card number that fails conversion is reported naming the entry; its stored card is kept; the rest syncs', async () => {
      await slapd.ldapModify(`dn: uid=user000023,ou=people,${BASE}\nchangetype: modify\nreplace: employeeNumber\nemployeeNumber: 12G4\n`);
      const stored = (await user(app, 'user000023'))?.cardNumber;
      await app.services.settings.set('ldap.card-transform', 'dec-to-hex|upper', 'test');
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded');
      assert.ok(r.users.updated > 40, 'every other user gets a converted card');
      assert.equal(r.warnings, 1);
      const warn = (await app.services.sync.log(r.runId!, { level: 'warn' })).lines.find((l) => l.message.includes('12G4'));
      assert.equal(warn?.entry, `uid=user000023,ou=people,${BASE}`);
      assert.match(warn?.message ?? '', /uid=user000023.*not a decimal number/);
      assert.equal((await user(app, 'user000023'))?.cardNumber, stored);
      const u24 = dir.user(23);
      assert.equal((await user(app, 'user000024'))?.cardNumber, BigInt(u24.cardNumber).toString(16).toUpperCase());
      await app.services.settings.set('ldap.card-transform', '', 'test');
    });

    test('PINs from a directory attribute are stored as keyed digests, updated and cleared with it', async () => {
      const dn = `uid=user000030,ou=people,${BASE}`;
      await slapd.ldapModify(`dn: ${dn}\nchangetype: modify\nreplace: pager\npager: 4711\n`);
      const pinKey = app.deps.secrets.subkey(DIRECTORY_PIN_PURPOSE);
      const pinOf = async (): Promise<string | null> => (await app.store.db.selectFrom('users').select('pinHash').where('username', '=', 'user000030').executeTakeFirstOrThrow()).pinHash;
      await app.services.sync.run({}); // settles the card numbers of the previous test
      let r = await app.services.sync.run({});
      assert.equal(r.users.updated, 0, 'no PIN attribute configured: PINs are not read');
      assert.equal(await pinOf(), null);

      await app.services.settings.set('ldap.schema.pin-attr', 'pager', 'test');
      r = await app.services.sync.run({});
      assert.equal(r.users.updated, 1);
      const stored = await pinOf();
      assert.ok(stored && !stored.includes('4711'));
      assert.equal(await verifyPin(stored, '4711', pinKey), true);
      assert.equal((await app.services.sync.run({})).users.updated, 0, 'the same PIN is no change');
      const line = (await app.services.sync.log(r.runId!, {})).lines.find((l) => l.entry === dn && /Updated user/.test(l.message));
      assert.match(line?.message ?? '', /user000030.*pin/);
      assert.ok(!line?.message.includes('4711'), 'the log never shows the PIN');

      await slapd.ldapModify(`dn: ${dn}\nchangetype: modify\nreplace: pager\npager: 1234\n`);
      await app.services.sync.run({ incremental: true });
      assert.equal(await verifyPin(await pinOf(), '1234', pinKey), true, 'an incremental sync picks up a changed PIN');

      await slapd.ldapModify(`dn: ${dn}\nchangetype: modify\ndelete: pager\n`);
      r = await app.services.sync.run({});
      assert.equal(r.users.updated, 1);
      assert.equal(await pinOf(), null);
      await app.services.settings.set('ldap.schema.pin-attr', '', 'test');
    });
  });
}
