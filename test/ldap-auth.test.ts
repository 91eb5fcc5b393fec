/**
 * verifyLdapPassword against a real slapd (search as the sync account, then bind as the user):
 * good and wrong passwords, empty password refused without any network traffic, unknown users,
 * filter injection, ambiguous logins, disabled accounts, escaped-DN and Unicode users, StartTLS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { verifyLdapPassword } from '../src/directory/ldap/authenticate.ts';
import type { VerifyPasswordOptions } from '../src/directory/ldap/authenticate.ts';
import type { LdapConnectionConfig } from '../src/directory/ldap/connection.ts';
import { dnEquals } from '../src/directory/ldap/escape.ts';
import { presetSchema } from '../src/directory/ldap/presets.ts';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd } from './harness/slapd.ts';
import type { SlapdServer } from './harness/slapd.ts';

describe('LDAP password verification against slapd', () => {
  const data = generateDirectory({ baseDn: 'dc=example,dc=com', users: 50, groups: 5, unicode: true, disabledEvery: 10 });
  const schema = presetSchema('openldap');
  let s: SlapdServer;
  let cfg: LdapConnectionConfig;
  let opts: (login: string, password: string, extra?: Partial<VerifyPasswordOptions>) => VerifyPasswordOptions;
  before(async () => {
    s = await startSlapd({ data });
    cfg = { hosts: [s.url], security: 'none', bindDn: s.syncDn, bindPassword: s.syncPassword, connectTimeoutMs: 3000, timeoutMs: 5000 };
    opts = (login, password, extra) => ({ searchBases: data.peopleDn, userFilter: schema.userFilter, usernameAttrs: ['uid', 'mail'], login, password, ...extra });
    // Two accounts sharing one e-mail address make that address ambiguous.
    await s.ldapAdd(`dn: uid=twin,${data.peopleDn}\nobjectClass: inetOrgPerson\nuid: twin\ncn: Twin\nsn: Twin\nmail: ${data.user(20).mail}\nuserPassword: twin-pw\n`);
  });
  after(async () => {
    await s?.stop();
  });

  test('correct password → ok with the user DN', async () => {
    const u = data.user(11);
    const r = await verifyLdapPassword(cfg, opts(u.uid, u.password ?? ''));
    assert.equal(r.ok, true);
    assert.ok(r.ok && dnEquals(r.dn, u.dn));
  });

  test('login by e-mail address and as DOMAIN\\user', async () => {
    const u = data.user(12);
    assert.equal((await verifyLdapPassword(cfg, opts(u.mail, u.password ?? ''))).ok, true);
    assert.equal((await verifyLdapPassword(cfg, opts(`EXAMPLE\\${u.uid}`, u.password ?? ''))).ok, true);
  });

  test('wrong password → invalid_credentials', async () => {
    const r = await verifyLdapPassword(cfg, opts(data.user(13).uid, data.user(14).password ?? ''));
    assert.deepEqual(r.ok ? 'ok' : r.reason, 'invalid_credentials');
  });

  test('unknown user → not_found', async () => {
    const r = await verifyLdapPassword(cfg, opts('nobody-here', 'whatever'));
    assert.deepEqual(r.ok ? 'ok' : r.reason, 'not_found');
  });

  test('filter injection is escaped: "*)(uid=*" and "*" match nobody', async () => {
    for (const login of ['*)(uid=*', '*', 'user0000*', `${data.user(15).uid})(|(uid=*`]) {
      const r = await verifyLdapPassword(cfg, opts(login, data.user(15).password ?? ''));
      assert.deepEqual(r.ok ? 'ok' : r.reason, 'not_found', login);
    }
  });

  test('a login matching two accounts → ambiguous, nobody is bound', async () => {
    const r = await verifyLdapPassword(cfg, opts(data.user(20).mail, data.user(20).password ?? ''));
    assert.deepEqual(r.ok ? 'ok' : r.reason, 'ambiguous');
  });

  test('disabled accounts (ppolicy lock and shadowExpire) → disabled when a rule is given', async () => {
    const locked = data.user(9);
    const shadow = data.user(19);
    assert.equal(locked.disabled, 'ppolicy');
    assert.equal(shadow.disabled, 'shadow');
    for (const u of [locked, shadow]) {
      const r = await verifyLdapPassword(cfg, opts(u.uid, u.password ?? '', { disabledRule: schema.disabledRule }));
      assert.deepEqual(r.ok ? 'ok' : r.reason, 'disabled', u.uid);
    }
  });

  test('users whose DN needs escaping, and Unicode users, can sign in', async () => {
    for (const i of [1, 2, 3, 4, 5, 6, 7]) {
      const u = data.user(i);
      const r = await verifyLdapPassword(cfg, opts(u.uid, u.password ?? ''));
      assert.equal(r.ok, true, u.dn);
      const byCn = await verifyLdapPassword(cfg, opts(u.cn, u.password ?? '', { usernameAttrs: ['cn'] }));
      assert.equal(byCn.ok, true, `cn=${u.cn}`);
    }
  });

  test('works over StartTLS, and with several search bases', async () => {
    const u = data.user(16);
    const r = await verifyLdapPassword({ ...cfg, hosts: [`localhost:${s.port}`], security: 'starttls', caPem: s.caPem }, opts(u.uid, u.password ?? '', { searchBases: `${data.groupsDn};${data.peopleDn}` }));
    assert.equal(r.ok, true);
  });

  test('infrastructure problems throw instead of looking like a wrong password', async () => {
    await assert.rejects(verifyLdapPassword({ ...cfg, bindPassword: 'wrong' }, opts(data.user(11).uid, 'x')), { code: 'ldap.bind_failed' });
    await assert.rejects(verifyLdapPassword(cfg, opts(data.user(11).uid, 'x', { userFilter: '(objectClass=person' })), { code: 'ldap.invalid_filter' });
    await assert.rejects(verifyLdapPassword(cfg, opts(data.user(11).uid, 'x', { searchBases: `ou=missing,${s.baseDn}` })), { code: 'ldap.base_dn_not_found' });
  });
});

describe('empty passwords never reach the network', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  before(async () => {
    server = createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('user password "" is refused before any connection', async () => {
    const cfg: LdapConnectionConfig = { hosts: [`127.0.0.1:${port}`], security: 'none', bindDn: 'cn=svc', bindPassword: 'svc', connectTimeoutMs: 1000, timeoutMs: 1000 };
    await assert.rejects(verifyLdapPassword(cfg, { searchBases: 'dc=x', userFilter: '', usernameAttrs: ['uid'], login: 'alice', password: '' }), { code: 'ldap.empty_password' });
    assert.equal(connections, 0);
  });
});
