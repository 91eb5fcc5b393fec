/**
 * Smoke test of the Samba AD DC harness (test/harness/samba-ad.ts) with ldapts, the client Spool uses: binds,
 * paging, LDAPS with Samba's own CA, UPN binds, LDAP_MATCHING_RULE_IN_CHAIN, renames, stop(). Skipped with a
 * reason when Samba is not installed or we are not root.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Client, InvalidCredentialsError } from 'ldapts';
import { sambaAdUnavailable, startSambaAd, type SambaAdServer } from './harness/samba-ad.ts';
import { findAccount, transitiveUserMembers, UAC_DISABLED } from './harness/samba-ad-data.ts';

const PEOPLE = '(&(objectCategory=person)(objectClass=user)(employeeID=*))';
const unavailable = sambaAdUnavailable();

// A skipped test rather than a skipped describe: the runner then counts it under "skipped" with the reason.
if (unavailable) test('Samba AD DC harness', { skip: unavailable }, () => undefined);
else describe('Samba AD DC harness', () => {
  let dc: SambaAdServer;
  const clients: Client[] = [];
  const client = (url: string, tlsOptions?: { ca: string[]; servername?: string }): Client => {
    const c = new Client({ url, timeout: 30_000, connectTimeout: 10_000, ...(tlsOptions ? { tlsOptions } : {}) });
    clients.push(c);
    return c;
  };
  const bound = async (): Promise<Client> => {
    const c = client(dc.url);
    await c.bind(dc.bindDn, dc.bindPassword);
    return c;
  };
  const one = async (c: Client, filter: string, attributes: string[]): Promise<Record<string, unknown>> => {
    const { searchEntries } = await c.search(dc.baseDn, { filter, attributes, explicitBufferAttributes: ['objectGUID'] });
    assert.equal(searchEntries.length, 1, `exactly one entry for ${filter}`);
    return searchEntries[0]!;
  };

  before(async () => {
    dc = await startSambaAd();
  }, { timeout: 180_000 });

  after(async () => {
    for (const c of clients) await c.unbind().catch(() => undefined);
    await dc?.stop();
  });

  test('reports how long provisioning, loading and starting took', (t) => {
    const { provisionMs, templateCached, loadMs, startMs, totalMs } = dc.timings;
    t.diagnostic(`Samba AD on ${dc.host}: provision ${provisionMs} ms (${templateCached ? 'copied cached template' : 'provisioned'}), `
      + `load ${loadMs} ms, start ${startMs} ms, total ${totalMs} ms`);
    assert.match(dc.url, /^ldap:\/\/127\.\d+\.\d+\.\d+:389$/);
  });

  test('the unprivileged sync user binds on 389 and a paged search returns every person with a binary objectGUID', async () => {
    const c = await bound();
    const entries: Array<Record<string, unknown>> = [];
    let pages = 0;
    for await (const page of c.searchPaginated(dc.baseDn, {
      filter: PEOPLE, attributes: ['objectGUID', 'sAMAccountName', 'userAccountControl'], explicitBufferAttributes: ['objectGUID'], paged: { pageSize: 200 },
    })) {
      pages += 1;
      entries.push(...page.searchEntries);
    }
    const { expected, people } = dc.dataset;
    assert.equal(entries.length, expected.personCount);
    assert.ok(pages >= Math.ceil(expected.personCount / 200), `Samba honours the page size (${pages} pages)`);
    const guids = new Set<string>();
    for (const e of entries) {
      assert.ok(Buffer.isBuffer(e.objectGUID) && e.objectGUID.length === 16, `16-byte objectGUID on ${e.dn}`);
      guids.add(e.objectGUID.toString('hex'));
    }
    assert.equal(guids.size, entries.length, 'objectGUIDs are unique');
    assert.deepEqual(entries.map((e) => e.sAMAccountName).sort(), people.map((p) => p.sAMAccountName).sort());
    const disabled = entries.filter((e) => (Number(e.userAccountControl) & 2) !== 0).map((e) => e.sAMAccountName).sort();
    assert.deepEqual(disabled, [...expected.disabledSamAccountNames].sort());
    assert.equal(Number(entries.find((e) => e.sAMAccountName === expected.signIn.disabled)?.userAccountControl), UAC_DISABLED);
  });

  test('escaped and Unicode DNs and names come back exactly as the dataset spells them', async () => {
    const c = await bound();
    for (const sam of ['jsmith', 'bchenwu', 'jpark', 'mtran', 'jnunez', 'lilei', 'zodegard']) {
      const want = findAccount(dc.dataset, sam);
      const got = await one(c, `(sAMAccountName=${sam})`, ['displayName', 'givenName', 'sn', 'mail', 'employeeID', 'department']);
      assert.equal(got.dn, want.dn);
      assert.deepEqual([got.displayName, got.givenName, got.sn, got.mail, got.employeeID, got.department],
        [want.displayName, want.givenName, want.sn, want.mail, want.employeeID, want.department]);
    }
  });

  test('LDAPS works with the returned CA, given the certificate\'s host name as servername', async () => {
    // Samba's self-signed certificate names only DC1.spool.test (subject CN, no subjectAltName), so checking it
    // against the 127.x address fails as it should (RFC 6125 §6); servername makes Node check the DC's name.
    const byAddress = client(dc.ldapsUrl, { ca: [dc.caPem] });
    await assert.rejects(byAddress.bind(dc.bindDn, dc.bindPassword), (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    const c = client(dc.ldapsUrl, { ca: [dc.caPem], servername: dc.tlsServerName });
    await c.bind(dc.bindDn, dc.bindPassword);
    const me = await one(c, `(sAMAccountName=${dc.dataset.syncAccount.sAMAccountName})`, ['distinguishedName']);
    assert.equal(me.dn, dc.bindDn);
  });

  test('users sign in by UPN or DOMAIN\\name; a wrong password and a disabled account are refused', async () => {
    assert.ok(dc.users.length >= 5);
    for (const u of dc.users.filter((x) => !x.disabled)) await client(dc.url).bind(u.upn, u.password);
    const staff = findAccount(dc.dataset, dc.dataset.expected.signIn.staff);
    await client(dc.url).bind(`${dc.domain}\\${staff.sAMAccountName}`, staff.password);
    await assert.rejects(client(dc.url).bind(staff.upn, `${staff.password}x`), InvalidCredentialsError);
    const off = findAccount(dc.dataset, dc.dataset.expected.signIn.disabled);
    await assert.rejects(client(dc.url).bind(off.upn, off.password), InvalidCredentialsError);
  });

  test('the in-chain matching rule returns nested members, and terminates on a group cycle', async () => {
    const c = await bound();
    const inChain = async (groupCn: string): Promise<string[]> => {
      const group = dc.dataset.groups.find((g) => g.cn === groupCn)!;
      const { searchEntries } = await c.search(dc.baseDn, {
        filter: `(&(objectCategory=person)(memberOf:1.2.840.113556.1.4.1941:=${group.dn}))`, attributes: ['sAMAccountName'], paged: { pageSize: 500 },
      });
      return searchEntries.map((e) => String(e.sAMAccountName)).sort();
    };
    const printing = await inChain('Printing-All');
    assert.deepEqual(printing, transitiveUserMembers(dc.dataset, 'Printing-All'));
    assert.ok(printing.includes('lilei') && printing.includes('jsmith'), 'direct and twice-nested members');
    assert.deepEqual(await inChain('Cycle-A'), ['jnunez', 'zodegard']);
  });

  test('renaming a user (modrdn + new sAMAccountName via ldapModify) keeps its objectGUID', async () => {
    const c = await bound();
    const user = findAccount(dc.dataset, dc.dataset.expected.signIn.student);
    const before = await one(c, `(sAMAccountName=${user.sAMAccountName})`, ['objectGUID']);
    await dc.ldapModify([
      `dn: ${user.dn}`, 'changetype: modrdn', 'newrdn: CN=Renamed Student', 'deleteoldrdn: 1', '',
      `dn: CN=Renamed Student,${dc.dataset.ous.Students}`, 'changetype: modify', 'replace: sAMAccountName', 'sAMAccountName: renamed.student', '-',
      // A password change through the server too: proves ldapModify's connection counts as encrypted.
      'replace: unicodePwd', `unicodePwd:: ${Buffer.from('"Renamed-Pass-1!"', 'utf16le').toString('base64')}`, '-', '',
    ].join('\n'));
    const after = await one(c, '(sAMAccountName=renamed.student)', ['objectGUID']);
    assert.equal(after.dn, `CN=Renamed Student,${dc.dataset.ous.Students}`);
    assert.ok(Buffer.isBuffer(before.objectGUID) && Buffer.isBuffer(after.objectGUID));
    assert.ok(before.objectGUID.equals(after.objectGUID), 'same objectGUID after the rename');
    assert.equal((await c.search(dc.baseDn, { filter: `(sAMAccountName=${user.sAMAccountName})` })).searchEntries.length, 0);
    await client(dc.url).bind(user.upn, 'Renamed-Pass-1!');
  });

  test('run() points samba-tool at this DC', async () => {
    const { stdout } = await dc.run(['samba-tool', 'group', 'listmembers', 'Teachers']);
    const teachers = dc.dataset.groups.find((g) => g.cn === 'Teachers')!;
    assert.equal(stdout.trim().split('\n').length, teachers.users.length);
  });

  test('stop() ends the server and removes its temp dir', async () => {
    await dc.stop();
    assert.equal(existsSync(dc.dir), false);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: dc.host, port: 389 });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    assert.equal(open, false, 'nothing listens on 389 any more');
  });
});
