/**
 * What is imported: only members (direct and nested) of selected groups, only some groups, and exclusions by OU
 * and by filter. Real slapd, SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings } from './sync-support.ts';

const BASE = 'dc=example,dc=com';
const dir = generateDirectory({ baseDn: BASE, users: 40, groups: 6, nested: true, disabledEvery: 10, escapedDns: false });

/** Usernames of imported members of a generated group, following nested groups. */
function transitiveMembers(cn: string): string[] {
  const groups = dir.groups();
  const byDn = new Map(groups.map((g) => [g.dn.toLowerCase(), g]));
  const out = new Set<string>();
  const seen = new Set<string>();
  const stack = [groups.find((g) => g.cn === cn)!.dn];
  while (stack.length) {
    const g = byDn.get(stack.pop()!.toLowerCase());
    if (!g || seen.has(g.dn)) continue;
    seen.add(g.dn);
    for (const i of g.userMembers) if (!dir.user(i).disabled) out.add(dir.user(i).uid);
    stack.push(...g.groupMembers);
  }
  return [...out].sort();
}

const usernames = async (app: TestApp): Promise<string[]> =>
  (await app.store.db.selectFrom('users').select('username').where('disabled', '=', 0).orderBy('username').execute()).map((r) => r.username);

for (const engine of testEngines()) {
  describe(`what is imported, on ${engine}`, () => {
    let slapd: SlapdServer;
    let app: TestApp;
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir }), openTestApp(engine)]);
      await configure(app, slapdSettings(slapd, 'none', { 'sync.delete-protection-percent': 0 }));
    });
    after(async () => {
      await app?.dispose();
      await slapd?.stop();
    });

    test('only members (direct and nested) of the selected groups, by name', async () => {
      await configure(app, { 'ldap.import': 'groups', 'ldap.import-groups': ['nested-top'] });
      const expected = transitiveMembers('nested-top');
      assert.ok(expected.length > 5 && expected.length < 30, `a meaningful subset (${expected.length})`);
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.equal(r.users.added, expected.length);
      assert.deepEqual(await usernames(app), expected);
      assert.ok(r.groups.added >= 10, 'groups are still all synced (with imported members only)');
    });

    test('selected by DN; users leaving the scope are disabled (missing), joining ones added', async () => {
      await configure(app, { 'ldap.import-groups': [`cn=group0001,ou=groups,${BASE}`] });
      const expected = transitiveMembers('group0001');
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.deepEqual(await usernames(app), expected);
      assert.ok(r.users.disabled > 0);
    });

    test('an import group that does not exist is reported; its absence imports nobody and the sync stops', async () => {
      await configure(app, { 'ldap.import-groups': ['no-such-group'] });
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'stopped');
      assert.equal(r.code, 'sync.source_empty');
      const log = await app.services.sync.log(r.runId!, { level: 'error' });
      assert.ok(log.lines.some((l) => /"no-such-group" was not found/.test(l.message)));
    });

    test('only some groups synced (ldap.sync-groups-filter); groups no longer synced are removed', async () => {
      await configure(app, { 'ldap.import': 'all', 'ldap.import-groups': [], 'ldap.sync-groups-filter': ['group0002', `cn=cycle-a,ou=groups,${BASE}`] });
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      const groups = (await app.store.db.selectFrom('groups').select('name').orderBy('name').execute()).map((g) => g.name);
      assert.deepEqual(groups, ['cycle-a', 'group0002']);
      assert.ok(r.groups.removed > 5);
    });

    test('exclusions: an OU and a filter of accounts never to import', async () => {
      await slapd.ldapAdd(`dn: ou=service,${BASE}\nobjectClass: organizationalUnit\nou: service\n\ndn: uid=svc-backup,ou=service,${BASE}\nobjectClass: inetOrgPerson\nuid: svc-backup\ncn: Backup\nsn: Service\n`);
      await configure(app, { 'ldap.sync-groups-filter': [], 'ldap.exclude-ous': [`ou=service,${BASE}`], 'ldap.exclude-filter': '(departmentNumber=Sales)' });
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      const names = await usernames(app);
      assert.ok(!names.includes('svc-backup'));
      const sales = Array.from({ length: 40 }, (_, i) => dir.user(i)).filter((u) => u.department === 'Sales').map((u) => u.uid);
      assert.ok(sales.length > 0 && sales.every((s) => !names.includes(s)));
      assert.equal(names.length, 40 - 4 - sales.filter((s) => !dir.user(Number(s.slice(4)) - 1).disabled).length);
      await configure(app, { 'ldap.exclude-ous': [] });
      const back = await app.services.sync.run({});
      assert.ok((await usernames(app)).includes('svc-backup'));
      assert.equal(back.users.added, 1);
    });
  });
}
