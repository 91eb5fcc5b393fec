/**
 * The adapter against a server that behaves like Windows AD where OpenLDAP does not (test/harness/fake-ad.ts):
 * MaxPageSize 1,000, ranged `member` retrieval, binary objectGUID, userAccountControl, AD bind sub-codes,
 * and empty-password binds that the server would accept but Spool refuses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'ldapts';
import { verifyLdapPassword } from '../src/directory/ldap/authenticate.ts';
import { openLdapConnection } from '../src/directory/ldap/connection.ts';
import type { LdapConnection, LdapConnectionConfig } from '../src/directory/ldap/connection.ts';
import { isEntryDisabled } from '../src/directory/ldap/disabled.ts';
import { all, first } from '../src/directory/ldap/entry.ts';
import { translateLdapError } from '../src/directory/ldap/errors.ts';
import { dnEquals, normalizeDn } from '../src/directory/ldap/escape.ts';
import { objectGuidToString, stableIdOf } from '../src/directory/ldap/guid.ts';
import { presetSchema, userAttributes } from '../src/directory/ldap/presets.ts';
import { findRange, resolveRangedAttribute } from '../src/directory/ldap/ranged.ts';
import { collect, pagedSearch } from '../src/directory/ldap/search.ts';
import { startFakeAd } from './harness/fake-ad.ts';
import type { FakeAdServer } from './harness/fake-ad.ts';

const USERS = 4200;

describe('Active Directory behaviour (fake AD)', () => {
  const schema = presetSchema('active-directory');
  let ad: FakeAdServer;
  let cfg: LdapConnectionConfig;
  let conn: LdapConnection;
  before(async () => {
    ad = await startFakeAd({ users: USERS, bigGroupMembers: 4000 });
    cfg = { hosts: [ad.url], security: 'none', bindDn: ad.bindDn, bindPassword: ad.bindPassword, connectTimeoutMs: 3000, timeoutMs: 15000 };
    conn = await openLdapConnection(cfg);
  });
  after(async () => {
    await conn?.close();
    await ad?.stop();
  });

  test('paging is capped at 1,000 per page by the server, and still yields every user', async () => {
    const pages: number[] = [];
    const users = await collect(pagedSearch(conn, { baseDns: ad.usersDn, filter: schema.userFilter, attributes: userAttributes(schema), pageSize: 5000, onPage: (p) => pages.push(p.entries) }));
    assert.equal(users.length, USERS);
    assert.equal(Math.max(...pages), 1000);
    assert.equal(pages.length, Math.ceil(USERS / 1000));
    assert.equal(new Set(users.map((u) => normalizeDn(u.dn))).size, USERS);
  });

  test('a page with no entries but a cookie does not end the search (RFC 2696)', async () => {
    ad.emptyPageEvery = 2;
    try {
      const pages: number[] = [];
      const users = await collect(pagedSearch(conn, { baseDns: ad.usersDn, filter: schema.userFilter, attributes: ['cn'], pageSize: 1000, onPage: (p) => pages.push(p.entries) }));
      assert.equal(users.length, USERS);
      assert.ok(pages.includes(0), `some pages were empty: ${pages.join(',')}`);
    } finally {
      ad.emptyPageEvery = 0;
    }
  });

  test('an unpaged search of more than 1,000 entries ends in ldap.size_limit', async () => {
    const err = await conn.client.search(ad.usersDn, { filter: schema.userFilter, attributes: ['cn'] }).then(() => undefined, (e: unknown) => translateLdapError(e, { operation: 'search' }));
    assert.equal(err?.code, 'ldap.size_limit');
  });

  test('ranged member retrieval returns all 4,000 members of a big group', async () => {
    const [group] = await collect(pagedSearch(conn, { baseDns: ad.groupsDn, filter: '(&(objectClass=group)(cn=Big Group))', attributes: ['cn', 'member', 'objectGUID'] }));
    assert.ok(group);
    assert.deepEqual(findRange(group, 'member'), { key: 'member;range=0-1499', low: 0, high: 1499 });
    assert.equal(all(group, 'member').length, 0, 'the plain attribute is absent: the client must follow ranges');
    const before = ad.stats.rangedRequests;
    const members = (await resolveRangedAttribute(conn, group, 'member')).map(String);
    assert.equal(members.length, 4000);
    assert.equal(ad.stats.rangedRequests - before, 2, '1500-* then 3000-*');
    const expected = new Set(Array.from({ length: 4000 }, (_, i) => normalizeDn(ad.userDn(i))));
    assert.ok(members.every((m) => expected.has(normalizeDn(m))));
    assert.equal(new Set(members.map(normalizeDn)).size, 4000);
  });

  test('a small group comes back with a plain member attribute', async () => {
    const [group] = await collect(pagedSearch(conn, { baseDns: ad.groupsDn, filter: '(cn=Printing Admins)', attributes: ['member'] }));
    assert.ok(group);
    assert.equal((await resolveRangedAttribute(conn, group, 'member')).length, 3);
  });

  test('binary objectGUID becomes the canonical GUID string; userAccountControl marks disabled users', async () => {
    const users = await collect(pagedSearch(conn, { baseDns: ad.usersDn, filter: `(sAMAccountName=${ad.userSam(9)})`, attributes: userAttributes(schema) }));
    const u = users[0];
    assert.ok(u);
    assert.equal(stableIdOf(u, 'objectGUID'), objectGuidToString(ad.userGuid(9)));
    assert.equal(first(u, 'userPrincipalName'), `${ad.userSam(9)}@corp.example`);
    assert.equal(isEntryDisabled(u, 'ad-uac'), true);
    const enabled = await collect(pagedSearch(conn, { baseDns: ad.usersDn, filter: '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))', attributes: ['1.1'] }));
    assert.equal(enabled.length, USERS - USERS / 10);
  });

  test('AD bind diagnostics: wrong password (52e) and disabled account (533)', async () => {
    const wrong = await openLdapConnection({ ...cfg, bindPassword: 'nope' }).then(() => undefined, (e: unknown) => e as { code: string; details?: Record<string, unknown>; message: string });
    assert.equal(wrong?.code, 'ldap.bind_failed');
    assert.equal(wrong?.details?.adSubcode, '52e');
    assert.match(wrong?.message ?? '', /password is wrong/);
    const r = await verifyLdapPassword(cfg, { searchBases: ad.baseDn, userFilter: schema.userFilter, usernameAttrs: ['sAMAccountName'], login: ad.userSam(19), password: ad.userPassword(19) });
    assert.deepEqual(r, { ok: false, reason: 'disabled', detail: 'account_disabled' });
  });

  test('sign-in by sAMAccountName, UPN and DOMAIN\\user', async () => {
    const base = { searchBases: ad.baseDn, userFilter: schema.userFilter, usernameAttrs: ['sAMAccountName', 'userPrincipalName'], password: ad.userPassword(1) };
    for (const login of [ad.userSam(1), `${ad.userSam(1)}@corp.example`, `CORP\\${ad.userSam(1)}`]) {
      const r = await verifyLdapPassword(cfg, { ...base, login });
      assert.ok(r.ok && dnEquals(r.dn, ad.userDn(1)), login);
    }
    const wrong = await verifyLdapPassword(cfg, { ...base, login: ad.userSam(1), password: 'wrong' });
    assert.deepEqual(wrong, { ok: false, reason: 'invalid_credentials', detail: 'wrong_password' });
  });

  test('an empty password: the server would accept it, Spool refuses before sending anything', async () => {
    // Proof that the danger is real: AD-style servers report success for DN + empty password.
    const raw = new Client({ url: ad.url });
    try {
      await raw.bind(ad.userDn(2), '');
    } finally {
      await raw.unbind();
    }
    assert.equal(ad.stats.emptyPasswordBinds, 1);
    const bindsBefore = ad.stats.binds;
    await assert.rejects(verifyLdapPassword(cfg, { searchBases: ad.baseDn, userFilter: schema.userFilter, usernameAttrs: ['sAMAccountName'], login: ad.userSam(2), password: '' }), { code: 'ldap.empty_password' });
    await assert.rejects(openLdapConnection({ ...cfg, bindDn: ad.userDn(2), bindPassword: '' }), { code: 'ldap.empty_password' });
    assert.equal(ad.stats.binds, bindsBefore, 'no bind reached the server');
    assert.equal(ad.stats.emptyPasswordBinds, 1);
  });
});
