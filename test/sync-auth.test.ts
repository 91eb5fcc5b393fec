/**
 * Directory sign-in against a real slapd (search with an escaped filter, then bind as the user's DN), through the
 * service on both engines and through the real `spool auth check` command; plus the sync's JSON API twins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../src/http/server.ts';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { runCli } from './helpers/cli.ts';
import { cliEnv, openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings } from './sync-support.ts';

const BASE = 'dc=example,dc=com';
// Every 5th user is disabled (alternately ppolicy-locked and shadow-expired); passwords are "pw-<uid>".
const dir = generateDirectory({ baseDn: BASE, users: 20, groups: 2, disabledEvery: 5, unicode: true });

for (const engine of testEngines()) {
  describe(`directory sign-in on ${engine}`, () => {
    let slapd: SlapdServer;
    let app: TestApp;
    let http: FastifyInstance;
    let token: string;
    before(async () => {
      [slapd, app] = await Promise.all([startSlapd({ baseDn: BASE, data: dir }), openTestApp(engine)]);
      await configure(app, slapdSettings(slapd, 'ldaps'));
      http = (await buildHttpServer(app)).app;
      token = (await app.services.auth.createToken('api', 'tests', 'test')).token;
    });
    after(async () => {
      await http?.close();
      await app?.dispose();
      await slapd?.stop();
    });
    const auth = (login: string, password: string) => app.services.sync.authenticate(login, password);
    const refused = { code: 'auth.invalid_credentials', message: 'Wrong username or password.' };

    test('the right password signs in; a directory user not yet in Spool is created at first sign-in', async () => {
      const r = await auth('user000009', 'pw-user000009');
      assert.equal(r.user.username, 'user000009');
      assert.equal(r.source, 'ldap');
      assert.equal(r.created, true);
      assert.equal(r.user.email, 'user000009@example.com');
      assert.ok((await app.deps.repos.accounts.get(r.user.id)) !== undefined, 'with an account');
      const again = await auth('USER000009', 'pw-user000009');
      assert.equal(again.created, false);
      assert.equal(again.user.id, r.user.id);
    });

    test('e-mail address and DOMAIN\\user forms are accepted (ldap.login-formats)', async () => {
      assert.equal((await auth('user000011@example.com', 'pw-user000011')).user.username, 'user000011');
      assert.equal((await auth('EXAMPLE\\user000012', 'pw-user000012')).user.username, 'user000012');
      await app.services.settings.set('ldap.login-formats', 'username', 'test');
      await assert.rejects(auth('user000013@example.com', 'pw-user000013'), refused);
      await assert.rejects(auth('EXAMPLE\\user000013', 'pw-user000013'), refused);
      await app.services.settings.set('ldap.login-formats', 'username,alias,upn,domain,email', 'test');
    });

    test('wrong password, unknown user and empty password all get the same answer', async () => {
      await assert.rejects(auth('user000009', 'wrong'), refused);
      await assert.rejects(auth('nobody-here', 'whatever'), refused);
      await assert.rejects(auth('user000009', ''), refused);
      await assert.rejects(auth('*', 'pw-user000009'), refused, 'a filter wildcard is a literal character');
      await assert.rejects(auth('user000009)(uid=*', 'pw-user000009'), refused, 'no filter injection');
    });

    test('disabled users cannot sign in: locked in the directory, or disabled in Spool', async () => {
      await assert.rejects(auth('user000005', 'pw-user000005'), refused, 'ppolicy-locked');
      await assert.rejects(auth('user000010', 'pw-user000010'), refused, 'shadow-expired');
      await app.services.users.setDisabled('user000009', true, 'test');
      await assert.rejects(auth('user000009', 'pw-user000009'), { code: 'auth.account_disabled' });
      await app.services.users.setDisabled('user000009', false, 'test');
    });

    test('without create-on-first-login, directory users must be synced first', async () => {
      await app.services.settings.set('sync.create-on-first-login', false, 'test');
      await assert.rejects(auth('user000014', 'pw-user000014'), refused);
      await app.services.settings.set('sync.create-on-first-login', true, 'test');
    });

    test('internal users sign in with their Spool password', async () => {
      await app.services.users.add({ username: 'local-admin', password: 'local-secret' }, 'test');
      assert.equal((await auth('local-admin', 'local-secret')).source, 'internal');
      await assert.rejects(auth('local-admin', 'nope'), refused);
    });

    test('JSON API: sync run/test/runs/log/status, the group picker and auth check', async () => {
      const h = { authorization: `Bearer ${token}` };
      const test1 = await http.inject({ method: 'POST', url: '/api/v1/sync/test', headers: h, payload: {} });
      assert.equal(test1.statusCode, 200, test1.body);
      assert.equal(test1.json().ok, true);
      const run = await http.inject({ method: 'POST', url: '/api/v1/sync/run', headers: h, payload: { dryRun: false } });
      assert.equal(run.statusCode, 200, run.body);
      assert.equal(run.json().status, 'succeeded');
      assert.equal(typeof run.json().users.added, 'number');
      const runs = await http.inject({ method: 'GET', url: '/api/v1/sync/runs?limit=5', headers: h });
      assert.equal(runs.json()[0].id, run.json().runId);
      assert.equal(runs.json()[0].trigger, 'api');
      const log = await http.inject({ method: 'GET', url: `/api/v1/sync/runs/${run.json().runId}/log`, headers: h });
      assert.equal(log.statusCode, 200, log.body);
      assert.ok(log.json().lines.length > 0);
      const status = await http.inject({ method: 'GET', url: '/api/v1/sync/status', headers: h });
      assert.deepEqual([status.json().running, status.json().lastRun.id], [false, run.json().runId]);
      const groups = await http.inject({ method: 'GET', url: '/api/v1/directory/groups?search=0002', headers: h });
      assert.deepEqual(groups.json().map((g: { name: string }) => g.name), ['group0002']);
      const ok = await http.inject({ method: 'POST', url: '/api/v1/auth/check', headers: h, payload: { username: 'user000016', password: 'pw-user000016' } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().username, 'user000016');
      const bad = await http.inject({ method: 'POST', url: '/api/v1/auth/check', headers: h, payload: { username: 'user000016', password: 'x' } });
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().error.code, 'auth.invalid_credentials');
      const spec = await http.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      assert.ok(spec.json().paths['/api/v1/sync/run']?.post);
      const anon = await http.inject({ method: 'POST', url: '/api/v1/sync/run', payload: {} });
      assert.equal(anon.statusCode, 401);
    });

    if (engine !== 'sqlite') return;

    test('spool auth check USERNAME (password on stdin): good, wrong, empty, disabled', async () => {
      const env = cliEnv(app.db);
      const good = await runCli(['auth', 'check', 'user000017', '--json'], env, 'pw-user000017\n');
      assert.equal(good.code, 0, good.stderr);
      // Synced by the API test above, so not created now.
      assert.deepEqual(good.json(), { ok: true, username: 'user000017', fullName: 'Mia Berg', source: 'ldap', created: false });
      const [wrong, empty, locked] = await Promise.all([
        runCli(['auth', 'check', 'user000017', '--json'], env, 'nope\n'),
        runCli(['auth', 'check', 'user000017', '--json'], env, '\n'),
        runCli(['auth', 'check', 'user000015'], env, 'pw-user000015\n'),
      ]);
      for (const r of [wrong, empty]) {
        assert.equal(r.code, 1);
        assert.equal(JSON.parse(r.stderr).error.code, 'auth.invalid_credentials');
      }
      assert.equal(locked.code, 1);
      assert.match(locked.stderr, /Wrong username or password/);
    });
  });
}
