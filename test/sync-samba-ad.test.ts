/**
 * LDAP sync and sign-in against a real Active Directory domain controller (Samba AD DC, test/harness/samba-ad.ts,
 * ~1,000 people): the Active Directory preset, objectGUID renames, nested groups through the in-chain matching
 * rule, disabled accounts, uSNChanged incremental syncs, and UPN / DOMAIN\user sign-in over LDAPS.
 * Skipped (with the reason) where a Samba DC cannot run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sambaAdUnavailable, startSambaAd, type SambaAdServer } from './harness/samba-ad.ts';
import { findAccount, transitiveUserMembers } from './harness/samba-ad-data.ts';
import { openTestApp, type TestApp } from './helpers/stores.ts';
import { configure } from './sync-support.ts';

const unavailable = sambaAdUnavailable();

if (unavailable) test('sync from Samba AD', { skip: unavailable }, () => undefined);
else describe('sync from a Samba AD domain controller', () => {
  let dc: SambaAdServer;
  let app: TestApp;
  const host = (url: string): string => url.replace(/^ldaps?:\/\//, '');
  const enabled = (sams: string[]): string[] => sams.filter((s) => !findAccount(dc.dataset, s).disabled).sort();
  const usernames = async (): Promise<string[]> =>
    (await app.store.db.selectFrom('users').select('username').where('disabled', '=', 0).orderBy('username').execute()).map((r) => r.username);

  before(async () => {
    [dc, app] = await Promise.all([startSambaAd(), openTestApp('sqlite')]);
    const ous = dc.dataset.ous;
    await configure(app, {
      'sync.primary-source': 'ldap', 'ldap.server-type': 'active-directory', 'ldap.hosts': [host(dc.url)], 'ldap.security': 'none',
      // Several base DNs (";"): the people OUs and the groups, not the built-in accounts or the service accounts.
      'ldap.base-dn': [ous.Staff, ous.Students, ous.Groups].join(';'),
      'ldap.bind-dn': dc.bindDn, 'ldap.bind-password': dc.bindPassword, 'ldap.page-size': 250,
    });
  }, { timeout: 240_000 });
  after(async () => {
    await app?.dispose();
    await dc?.stop();
  });

  test('full sync with the Active Directory preset: enabled people, groups and nested memberships', async () => {
    const r = await app.services.sync.run({});
    assert.equal(r.status, 'succeeded', r.message);
    assert.equal(r.users.added, dc.dataset.expected.enabledPersonCount);
    assert.equal(r.groups.added, dc.dataset.groups.length);
    const printing = await app.deps.repos.groups.findByName('Printing-All');
    const members = (await app.deps.repos.groups.members(printing!.id, 5000, 0)).map((m) => m.username).sort();
    assert.deepEqual(members, enabled(transitiveUserMembers(dc.dataset, 'Printing-All')));
    const cycle = await app.deps.repos.groups.findByName('Cycle-A');
    assert.deepEqual((await app.deps.repos.groups.members(cycle!.id, 10, 0)).map((m) => m.username).sort(), enabled(transitiveUserMembers(dc.dataset, 'Cycle-A')));
    const jsmith = await app.deps.repos.users.findByUsername('jsmith');
    assert.match(jsmith?.sourceId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'objectGUID as the stable id');
    assert.equal(jsmith?.usernameAlias, findAccount(dc.dataset, 'jsmith').upn.toLowerCase());
    assert.equal(await app.deps.repos.users.findByUsername(dc.dataset.expected.signIn.disabled), undefined, 'disabled accounts are not imported');
  });

  test('a renamed account (new CN and sAMAccountName, same objectGUID) keeps its Spool account and balance', async () => {
    const sam = dc.dataset.expected.signIn.student;
    const before = await app.deps.repos.users.findByUsername(sam);
    await app.services.users.adjustBalance(sam, '3.00', 'Credit', 'test');
    const user = findAccount(dc.dataset, sam);
    await dc.ldapModify([
      `dn: ${user.dn}`, 'changetype: modrdn', 'newrdn: CN=Renamed Student', 'deleteoldrdn: 1', '',
      `dn: CN=Renamed Student,${dc.dataset.ous.Students}`, 'changetype: modify', 'replace: sAMAccountName', 'sAMAccountName: renamed.student', '-', '',
    ].join('\n'));
    const r = await app.services.sync.run({ incremental: true });
    assert.equal(r.mode, 'incremental', r.sources[0]?.fellBack ?? '');
    assert.equal(r.users.renamed, 1);
    assert.ok((r.sources[0]?.usersRead ?? 999) < 10, 'uSNChanged: only the changed entries were read');
    const after = await app.deps.repos.users.findByUsername('renamed.student');
    assert.equal(after?.id, before?.id);
    assert.equal((await app.deps.repos.accounts.get(after!.id))?.balanceCents, 300);
    assert.equal(after?.sourceId, before?.sourceId);
  });

  test('import only members of a group, nested ones included, through the in-chain matching rule', async () => {
    await configure(app, { 'ldap.import': 'groups', 'ldap.import-groups': ['Printing-All'], 'sync.delete-protection-percent': 0 });
    const r = await app.services.sync.run({});
    assert.equal(r.status, 'succeeded', r.message);
    assert.deepEqual(await usernames(), enabled(transitiveUserMembers(dc.dataset, 'Printing-All')));
    await configure(app, { 'ldap.import': 'all', 'ldap.import-groups': [], 'sync.delete-protection-percent': 10 });
    const back = await app.services.sync.run({});
    assert.equal(back.status, 'succeeded', back.message);
    assert.ok(back.users.updated > 100, 'users back in scope are enabled again');
  });

  test('sign-in with UPN and DOMAIN\\user over LDAPS (pinned certificate); disabled accounts refused', async () => {
    await configure(app, { 'ldap.hosts': [host(dc.ldapsUrl)], 'ldap.security': 'ldaps', 'ldap.ca-pem': '' });
    // Samba's certificate is issued to DC1.spool.test and we connect by address: pin it, as an admin would from Test settings.
    const report = await app.services.sync.test();
    assert.equal(report.ok, false);
    assert.ok(report.certificate, 'the certificate is shown even when it is not trusted');
    await configure(app, { 'ldap.trust-fingerprint': report.certificate.fingerprint256 });
    assert.equal((await app.services.sync.test()).ok, true);
    const staff = findAccount(dc.dataset, dc.dataset.expected.signIn.staff);
    const r = await app.services.sync.authenticate(staff.upn, staff.password);
    assert.equal(r.user.username, staff.sAMAccountName.toLowerCase());
    assert.equal((await app.services.sync.authenticate(`SPOOL\\${staff.sAMAccountName}`, staff.password)).user.id, r.user.id);
    await assert.rejects(app.services.sync.authenticate(staff.upn, 'wrong-password'), { code: 'auth.invalid_credentials' });
    await assert.rejects(app.services.sync.authenticate(staff.upn, ''), { code: 'auth.invalid_credentials' });
    const disabled = findAccount(dc.dataset, dc.dataset.expected.signIn.disabled);
    await assert.rejects(app.services.sync.authenticate(disabled.upn, disabled.password), { code: 'auth.invalid_credentials' });
    const unicode = findAccount(dc.dataset, 'jnunez');
    assert.equal((await app.services.sync.authenticate(unicode.upn, unicode.password)).user.username, 'jnunez');
  });
});
