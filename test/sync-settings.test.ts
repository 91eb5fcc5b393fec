/**
 * Test settings against a real slapd: each failure is reported at the right step with the likely cause and the fix,
 * the certificate is shown, and nothing is ever written. A sync that cannot reach the directory fails cleanly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { freePort } from './harness/ports.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings, storeDigest } from './sync-support.ts';

const BASE = 'dc=example,dc=com';
const dir = generateDirectory({ baseDn: BASE, users: 12, groups: 2, unicode: true, disabledEvery: 6 });

for (const engine of testEngines()) {
  describe(`Test settings on ${engine}`, () => {
    let slapd: SlapdServer;
    let strict: SlapdServer;
    let app: TestApp;
    let digest: string;
    const check = async (overrides: Record<string, unknown>) => {
      // Every key a test changes is reset here, so each test starts from the good settings.
      await configure(app, { ...slapdSettings(slapd, 'ldaps'), 'ldap.schema.user-filter': '', 'ldap.trust-fingerprint': '', ...overrides });
      return app.services.sync.test();
    };
    const failed = (r: Awaited<ReturnType<typeof check>>) => r.steps.find((s) => !s.ok);

    before(async () => {
      [slapd, strict, app] = await Promise.all([
        startSlapd({ baseDn: BASE, data: dir }),
        // This one refuses simple binds without TLS (slapd "security simple_bind=128").
        startSlapd({ baseDn: BASE, data: dir, extraDatabaseConfig: 'security simple_bind=128' }),
        openTestApp(engine),
      ]);
      digest = await storeDigest(app);
    });
    after(async () => {
      await app?.dispose();
      await Promise.all([slapd?.stop(), strict?.stop()]);
    });

    test('good settings: connection, trusted certificate, bind, counts and a sample of mapped users', async () => {
      const r = await check({});
      assert.equal(r.ok, true, JSON.stringify(r.steps));
      assert.deepEqual(r.steps.map((s) => s.step), ['configuration', 'connect', 'tls', 'bind', 'users', 'groups']);
      assert.equal(r.certificate?.trusted, true);
      assert.match(r.certificate?.subject ?? '', /CN=127\.0\.0\.1/);
      assert.ok((r.certificate?.daysLeft ?? 0) > 300);
      assert.deepEqual(r.counts, { users: 10, disabledUsers: 2, groups: 2, excluded: 0, notInImportGroups: 0, problems: 0 });
      assert.equal(r.sample.length, 10);
      const jose = r.sample.find((u) => u.username === 'user000006');
      assert.equal(jose?.fullName, 'José Núñez');
      assert.equal(jose?.email, 'user000006@example.com');
    });

    test('wrong password: the bind step fails and says so', async () => {
      const r = await check({ 'ldap.bind-password': 'not-the-password' });
      assert.equal(r.ok, false);
      assert.equal(failed(r)?.step, 'bind');
      assert.equal(failed(r)?.code, 'ldap.bind_failed');
      assert.match(`${failed(r)?.message} ${failed(r)?.hint}`, /password/i);
    });

    test('a base DN that does not exist is named, with the fix', async () => {
      const r = await check({ 'ldap.base-dn': `ou=nowhere,${BASE}` });
      assert.equal(failed(r)?.step, 'users');
      assert.equal(failed(r)?.code, 'ldap.base_dn_not_found');
      assert.match(failed(r)?.message ?? '', /ou=nowhere/);
    });

    test('a base DN without users: found no users, check the base DN and filter', async () => {
      const r = await check({ 'ldap.base-dn': `ou=groups,${BASE}` });
      assert.equal(failed(r)?.code, 'sync.no_users');
      assert.match(failed(r)?.hint ?? '', /base DN/);
    });

    test('a filter with a syntax error', async () => {
      const r = await check({ 'ldap.schema.user-filter': '(objectClass=inetOrgPerson' });
      assert.equal(failed(r)?.step, 'users');
      assert.equal(failed(r)?.code, 'ldap.invalid_filter');
    });

    test('unreachable host: the connect step fails with the address', async () => {
      const port = await freePort();
      const r = await check({ 'ldap.hosts': [`127.0.0.1:${port}`], 'ldap.connect-timeout-ms': 2000 });
      assert.equal(failed(r)?.step, 'connect');
      assert.equal(failed(r)?.code, 'ldap.unreachable');
      assert.match(failed(r)?.message ?? '', new RegExp(String(port)));
    });

    test('untrusted certificate: the TLS step fails and shows the certificate to trust', async () => {
      const r = await check({ 'ldap.ca-pem': '' });
      assert.equal(failed(r)?.step, 'tls');
      assert.equal(failed(r)?.code, 'ldap.tls_untrusted');
      assert.equal(r.certificate?.trusted, false);
      assert.match(r.certificate?.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      // Pinning that fingerprint (explicitly) makes it work.
      const pinned = await check({ 'ldap.ca-pem': '', 'ldap.trust-fingerprint': r.certificate!.fingerprint256 });
      assert.equal(pinned.ok, true, JSON.stringify(pinned.steps));
      assert.equal(pinned.certificate?.trustedBy, 'fingerprint');
      assert.ok(pinned.warnings.some((w) => /fingerprint/.test(w)));
    });

    test('a server refusing plain binds: the bind step explains to use TLS', async () => {
      await configure(app, { ...slapdSettings(strict, 'none'), 'ldap.trust-fingerprint': '' });
      const r = await app.services.sync.test();
      assert.equal(failed(r)?.step, 'bind');
      assert.match(`${failed(r)?.message} ${failed(r)?.hint}`, /TLS|LDAPS|StartTLS/);
      assert.ok(r.warnings.some((w) => /unencrypted/.test(w)));
      await configure(app, slapdSettings(strict, 'starttls'));
      assert.equal((await app.services.sync.test()).ok, true);
    });

    test('Test settings never writes anything', async () => {
      assert.equal(await storeDigest(app), digest);
      assert.equal((await app.services.sync.runs(10)).length, 0);
    });

    test('a sync that cannot reach the directory fails cleanly and is recorded', async () => {
      const port = await freePort();
      await configure(app, { ...slapdSettings(slapd, 'none'), 'ldap.hosts': [`127.0.0.1:${port}`], 'ldap.connect-timeout-ms': 2000 });
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'failed');
      assert.equal(r.code, 'ldap.unreachable');
      assert.equal(await storeDigest(app), digest);
      const [run] = await app.services.sync.runs(1);
      assert.equal(run?.status, 'failed');
      assert.match(run?.error ?? '', /connect/i);
      const log = await app.services.sync.log(run!.id, { level: 'error' });
      assert.ok(log.lines.some((l) => /failed/.test(l.message)));
      assert.equal(await app.deps.repos.leases.holder('sync', new Date().toISOString()), undefined, 'the lease was released');
    });
  });
}
