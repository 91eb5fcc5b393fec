/**
 * pagedSearch and friends against a real slapd holding 3,000 generated users whose sync account has a size
 * limit of 500: an unpaged search fails, the paged one returns everyone. Also: several bases, a missing
 * base, a bad filter, DNs with escaped characters and Unicode, group styles, disabled accounts, live changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openLdapConnection } from '../src/directory/ldap/connection.ts';
import type { LdapConnection } from '../src/directory/ldap/connection.ts';
import { all, first } from '../src/directory/ldap/entry.ts';
import { translateLdapError } from '../src/directory/ldap/errors.ts';
import { dnEquals, escapeFilterValue, normalizeDn, stripOptionalUid } from '../src/directory/ldap/escape.ts';
import { isEntryDisabled } from '../src/directory/ldap/disabled.ts';
import { stableIdOf } from '../src/directory/ldap/guid.ts';
import { presetSchema, userAttributes } from '../src/directory/ldap/presets.ts';
import { resolveRangedAttribute } from '../src/directory/ldap/ranged.ts';
import { collect, pagedSearch, readEntry } from '../src/directory/ldap/search.ts';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd } from './harness/slapd.ts';
import type { SlapdServer } from './harness/slapd.ts';

const USERS = 3000;
const GROUPS = 60;
const SIZE_LIMIT = 500;

describe('paged search against slapd (3,000 users, size limit 500)', () => {
  const data = generateDirectory({ baseDn: 'dc=example,dc=com', users: USERS, groups: GROUPS, nested: true, bigGroup: true, unicode: true, disabledEvery: 100 });
  const schema = presetSchema('openldap');
  let s: SlapdServer;
  let conn: LdapConnection;
  before(async () => {
    s = await startSlapd({ data, sizeLimit: SIZE_LIMIT });
    conn = await openLdapConnection({ hosts: [s.url], security: 'none', bindDn: s.syncDn, bindPassword: s.syncPassword, connectTimeoutMs: 3000, timeoutMs: 15000 });
  });
  after(async () => {
    await conn?.close();
    await s?.stop();
  });

  test('the size limit is real: an unpaged search is refused with ldap.size_limit', async () => {
    const err = await conn.client.search(data.peopleDn, { filter: schema.userFilter, attributes: ['uid'] }).then(
      () => undefined,
      (e: unknown) => translateLdapError(e, { operation: 'search' }),
    );
    assert.equal(err?.code, 'ldap.size_limit');
    assert.match(err?.hint ?? '', /unlimited/);
  });

  test('pagedSearch streams all 3,000 users in pages of 500', async () => {
    const pages: number[] = [];
    const uids = new Set<string>();
    for await (const e of pagedSearch(conn, { baseDns: data.peopleDn, filter: schema.userFilter, attributes: userAttributes(schema), onPage: (p) => pages.push(p.entries) })) {
      uids.add(first(e, 'uid') ?? '');
    }
    assert.equal(uids.size, USERS);
    assert.ok(pages.length >= USERS / SIZE_LIMIT, `expected several pages, got ${pages.length}`);
    assert.ok(pages.every((n) => n <= SIZE_LIMIT));
  });

  test('a page size above the server limit still returns everyone', async () => {
    const n = (await collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: '(uid=*)', attributes: ['1.1'], pageSize: 2000 }))).length;
    assert.equal(n, USERS);
  });

  test('several base DNs are searched one after the other; a nested base is not searched twice', async () => {
    const entries = await collect(pagedSearch(conn, { baseDns: `${data.groupsDn}; ${data.peopleDn};${s.baseDn}`, filter: '(|(objectClass=inetOrgPerson)(objectClass=posixGroup))', attributes: ['cn'] }));
    const dns = entries.map((e) => normalizeDn(e.dn));
    assert.equal(new Set(dns).size, dns.length);
    assert.equal(entries.length, USERS + GROUPS / 10);
  });

  test('a missing base DN fails with a clear error naming it', async () => {
    const missing = `ou=nope,${s.baseDn}`;
    await assert.rejects(collect(pagedSearch(conn, { baseDns: [data.peopleDn, missing], filter: '(uid=*)', attributes: ['uid'] })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ldap.base_dn_not_found');
      assert.ok(err.message.includes(missing));
      return true;
    });
  });

  test('a malformed filter fails before contacting the server', async () => {
    await assert.rejects(collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: '(&(uid=a)(cn=b)', attributes: ['uid'] })), { code: 'ldap.invalid_filter' });
    await assert.rejects(collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: '(cn=a(b)', attributes: ['uid'] })), { code: 'ldap.invalid_filter' });
  });

  test('escaped-DN and Unicode entries round trip', async () => {
    for (const i of [1, 2, 3, 4, 5, 6, 7]) {
      const u = data.user(i);
      const found = await collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: `(cn=${escapeFilterValue(u.cn)})`, attributes: ['cn', 'givenName', 'sn', 'uid'] }));
      assert.equal(found.length, 1, u.cn);
      const e = found[0]!;
      assert.ok(dnEquals(e.dn, u.dn), `${e.dn} vs ${u.dn}`);
      assert.equal(first(e, 'cn'), u.cn);
      assert.equal(first(e, 'sn'), u.sn);
      const again = await readEntry(conn, e.dn, ['uid']);
      assert.equal(first(again!, 'uid'), u.uid);
    }
  });

  test('group members (member, uniqueMember, memberUid) resolve to user entries', async () => {
    const users = await collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: schema.userFilter, attributes: ['uid', 'entryUUID'] }));
    const byDn = new Map(users.map((u) => [normalizeDn(u.dn), u]));
    const byUid = new Map(users.map((u) => [first(u, 'uid'), u]));
    const groups = await collect(pagedSearch(conn, { baseDns: data.groupsDn, filter: schema.groupFilter, attributes: ['cn', 'member', 'uniqueMember', 'memberUid', 'objectClass'] }));
    const expected = new Map(data.groups().map((g) => [g.cn, g]));
    let checked = 0;
    for (const g of groups) {
      const want = expected.get(first(g, 'cn') ?? '');
      assert.ok(want, `unexpected group ${g.dn}`);
      const memberValues = await resolveRangedAttribute(conn, g, 'member');
      const candidates = want.kind === 'posixGroup'
        ? all(g, 'memberUid').map((uid) => byUid.get(uid))
        : [...memberValues.map(String), ...all(g, 'uniqueMember').map(stripOptionalUid)].map((dn) => byDn.get(normalizeDn(dn)));
      const resolved = candidates.filter((x) => x !== undefined);
      assert.equal(resolved.length, want.userMembers.length, `${want.cn} (${want.kind})`);
      checked++;
    }
    assert.equal(checked, expected.size);
    const big = groups.find((g) => first(g, 'cn') === 'all-users')!;
    assert.equal(all(big, 'member').length, USERS);
  });

  test('stable ids and disabled accounts (ppolicy lock and shadowExpire)', async () => {
    const users = await collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: schema.userFilter, attributes: userAttributes(schema) }));
    const ids = new Set(users.map((u) => stableIdOf(u, schema.stableIdAttr)));
    assert.equal(ids.size, USERS);
    for (const id of ids) assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const disabled = users.filter((u) => isEntryDisabled(u, schema.disabledRule)).map((u) => first(u, 'uid')).sort();
    const expected = Array.from({ length: USERS }, (_, i) => data.user(i)).filter((u) => u.disabled).map((u) => u.uid).sort();
    assert.equal(expected.length, USERS / 100);
    assert.deepEqual(disabled, expected);
  });

  test('changes made on the running server are seen by the next search', async () => {
    await s.ldapAdd(`dn: uid=late-joiner,${data.peopleDn}\nobjectClass: inetOrgPerson\nuid: late-joiner\ncn: Late Joiner\nsn: Joiner\n`);
    await s.ldapModify(`dn: ${data.user(0).dn}\nchangetype: modify\nreplace: mail\nmail: changed@example.com\n`);
    const found = await collect(pagedSearch(conn, { baseDns: data.peopleDn, filter: '(|(uid=late-joiner)(mail=changed@example.com))', attributes: ['uid'] }));
    assert.deepEqual(found.map((e) => first(e, 'uid')).sort(), ['late-joiner', data.user(0).uid]);
    await s.ldapDelete(`uid=late-joiner,${data.peopleDn}`);
    assert.equal(await readEntry(conn, `uid=late-joiner,${data.peopleDn}`, ['uid']), undefined);
  });
});
