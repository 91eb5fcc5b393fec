/**
 * openLdapConnection against a real OpenLDAP slapd: plain LDAP, LDAPS and StartTLS, certificate trust
 * (CA, pinning, untrusted, expired, wrong name), wrong password, unreachable hosts, fail-over and
 * protocol mismatches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { openLdapConnection } from '../src/directory/ldap/connection.ts';
import type { LdapConnectionConfig } from '../src/directory/ldap/connection.ts';
import type { CertificateReport } from '../src/directory/ldap/certificate.ts';
import { isSpoolError } from '../src/errors.ts';
import { startSlapd } from './harness/slapd.ts';
import type { SlapdServer } from './harness/slapd.ts';
import { freePort } from './harness/ports.ts';

const TIMEOUTS = { connectTimeoutMs: 3000, timeoutMs: 5000 };

async function connectAndRead(cfg: LdapConnectionConfig, baseDn: string): Promise<{ url: string; tls?: CertificateReport }> {
  const conn = await openLdapConnection(cfg);
  try {
    const res = await conn.client.search(baseDn, { scope: 'base', attributes: ['dc'] });
    assert.equal(res.searchEntries.length, 1);
    return { url: conn.url, tls: conn.tls };
  } finally {
    await conn.close();
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    assert.ok(isSpoolError(err), `expected a SpoolError, got ${String(err)}`);
    assert.equal(err.code, code, `${err.code}: ${err.message}`);
    assert.ok(err.hint, 'every error carries a hint');
    return err.details ?? {};
  }
  assert.fail(`expected ${code}`);
}

describe('LDAP connections to a real slapd (valid certificate)', () => {
  let s: SlapdServer;
  let cfg: (over: Partial<LdapConnectionConfig>) => LdapConnectionConfig;
  before(async () => {
    s = await startSlapd();
    cfg = (over) => ({ hosts: [`127.0.0.1:${s.port}`], security: 'none', bindDn: s.syncDn, bindPassword: s.syncPassword, ...TIMEOUTS, ...over });
  });
  after(async () => {
    await s?.stop();
  });

  test('plain LDAP bind and search', async () => {
    const r = await connectAndRead(cfg({}), s.baseDn);
    assert.equal(r.url, `ldap://127.0.0.1:${s.port}`);
    assert.equal(r.tls, undefined);
  });

  test('LDAPS with the CA uploaded: trusted by CA, certificate reported', async () => {
    const r = await connectAndRead(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', caPem: s.caPem }), s.baseDn);
    assert.equal(r.url, `ldaps://127.0.0.1:${s.ldapsPort}`);
    assert.equal(r.tls?.trusted, true);
    assert.equal(r.tls?.trustedBy, 'ca');
    assert.match(r.tls?.subject ?? '', /CN=127\.0\.0\.1/);
    assert.match(r.tls?.issuer ?? '', /Spool Test CA/);
    assert.ok((r.tls?.daysLeft ?? 0) > 300);
  });

  test('StartTLS by host name with the CA', async () => {
    const r = await connectAndRead(cfg({ hosts: [`localhost:${s.port}`], security: 'starttls', caPem: s.caPem }), s.baseDn);
    assert.equal(r.tls?.trusted, true);
  });

  test('LDAPS without the CA: untrusted, with a certificate report for the admin', async () => {
    const details = await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps' })), 'ldap.tls_untrusted');
    const cert = details.certificate as CertificateReport;
    assert.equal(cert.trusted, false);
    assert.match(cert.subject, /CN=127\.0\.0\.1/);
    assert.match(cert.issuer, /Spool Test CA/);
    assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(Date.parse(cert.validTo) > Date.now());
    assert.ok(cert.reason);
  });

  test('StartTLS without the CA is refused before the password is sent', async () => {
    const details = await rejectsWith(openLdapConnection(cfg({ security: 'starttls' })), 'ldap.tls_untrusted');
    assert.equal((details.certificate as CertificateReport).trusted, false);
  });

  test('fingerprint pinning: the reported fingerprint is accepted, another one is not', async () => {
    const details = await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps' })), 'ldap.tls_untrusted');
    const fp = (details.certificate as CertificateReport).fingerprint256;
    const r = await connectAndRead(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', trustFingerprint: fp.toLowerCase() }), s.baseDn);
    assert.equal(r.tls?.trusted, true);
    assert.equal(r.tls?.trustedBy, 'fingerprint');
    const st = await connectAndRead(cfg({ security: 'starttls', trustFingerprint: fp.replace(/:/g, '') }), s.baseDn);
    assert.equal(st.tls?.trustedBy, 'fingerprint');
    const wrong = await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', trustFingerprint: '00'.repeat(32) })), 'ldap.tls_untrusted');
    assert.equal((wrong.certificate as CertificateReport).reason, 'FINGERPRINT_MISMATCH');
  });

  test('rejectUnauthorized:false connects but reports the certificate as untrusted', async () => {
    const r = await connectAndRead(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', rejectUnauthorized: false }), s.baseDn);
    assert.equal(r.tls?.trusted, false);
  });

  test('wrong service password', async () => {
    const details = await rejectsWith(openLdapConnection(cfg({ bindPassword: 'wrong' })), 'ldap.bind_failed');
    assert.equal(details.cause, 49);
  });

  test('anonymous connection (no bind DN) works: the root DSE is readable', async () => {
    const conn = await openLdapConnection(cfg({ bindDn: undefined, bindPassword: undefined }));
    try {
      const res = await conn.client.search('', { scope: 'base', attributes: ['namingContexts'] });
      assert.equal(res.searchEntries[0]?.namingContexts, s.baseDn);
    } finally {
      await conn.close();
    }
  });

  test('unreachable port: plain-language error; the next host is tried', async () => {
    const dead = await freePort();
    await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${dead}`] })), 'ldap.unreachable');
    const r = await connectAndRead(cfg({ hosts: [`127.0.0.1:${dead}`, `127.0.0.1:${s.port}`] }), s.baseDn);
    assert.equal(r.url, `ldap://127.0.0.1:${s.port}`);
  });

  test('a bind failure is not retried on the next host', async () => {
    const dead = await freePort();
    await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${s.port}`, `127.0.0.1:${dead}`], bindPassword: 'wrong' })), 'ldap.bind_failed');
  });

  test('plain LDAP against the LDAPS port and LDAPS against the plain port', async () => {
    await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${s.ldapsPort}`] })), 'ldap.protocol_mismatch');
    await rejectsWith(openLdapConnection(cfg({ hosts: [`127.0.0.1:${s.port}`], security: 'ldaps', caPem: s.caPem })), 'ldap.protocol_mismatch');
  });
});

describe('LDAP connection timeouts', () => {
  let silent: Server;
  let port: number;
  const sockets = new Set<Socket>();
  before(async () => {
    // Accepts TCP connections and never answers: a hung server.
    silent = createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    port = (silent.address() as { port: number }).port;
  });
  after(async () => {
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  test('a server that never answers the bind gives ldap.timeout', async () => {
    await rejectsWith(openLdapConnection({ hosts: [`127.0.0.1:${port}`], security: 'none', bindDn: 'cn=x', bindPassword: 'y', connectTimeoutMs: 2000, timeoutMs: 300 }), 'ldap.timeout');
  });

  test('a server that never finishes the TLS handshake gives ldap.unreachable (connect deadline)', async () => {
    await rejectsWith(openLdapConnection({ hosts: [`127.0.0.1:${port}`], security: 'ldaps', connectTimeoutMs: 300, timeoutMs: 300 }), 'ldap.unreachable');
  });
});

describe('LDAPS certificate problems', () => {
  const servers: SlapdServer[] = [];
  after(async () => {
    await Promise.all(servers.map((x) => x.stop()));
  });

  test('expired server certificate → ldap.tls_expired with its dates', async () => {
    const s = await startSlapd({ certificate: 'expired' });
    servers.push(s);
    const details = await rejectsWith(
      openLdapConnection({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', caPem: s.caPem, bindDn: s.syncDn, bindPassword: s.syncPassword, ...TIMEOUTS }),
      'ldap.tls_expired',
    );
    const cert = details.certificate as CertificateReport;
    assert.equal(cert.reason, 'CERT_HAS_EXPIRED');
    assert.equal(cert.validTo, '2021-01-01T00:00:00.000Z');
    assert.ok(cert.daysLeft < 0);
  });

  test('certificate from an unknown CA → ldap.tls_untrusted', async () => {
    const s = await startSlapd({ certificate: 'unknown-ca' });
    servers.push(s);
    const details = await rejectsWith(
      openLdapConnection({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', caPem: s.caPem, ...TIMEOUTS }),
      'ldap.tls_untrusted',
    );
    assert.match((details.certificate as CertificateReport).issuer, /Unknown Test CA/);
  });

  test('certificate for another host name → ldap.tls_name_mismatch', async () => {
    const s = await startSlapd({ certificate: 'wrong-name' });
    servers.push(s);
    const details = await rejectsWith(
      openLdapConnection({ hosts: [`127.0.0.1:${s.ldapsPort}`], security: 'ldaps', caPem: s.caPem, ...TIMEOUTS }),
      'ldap.tls_name_mismatch',
    );
    assert.match((details.certificate as CertificateReport).subjectAltName ?? '', /ldap\.invalid/);
  });
});
