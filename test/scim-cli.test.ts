/**
 * SCIM tokens and the provisioning log from the admin's side: the real `spool scim …` commands and the
 * /api/v1 twins, then the token used by a SCIM client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { buildHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/logger.ts';
import { runCli } from './helpers/cli.ts';
import { cliEnv, openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { entraUser, q, scimClient, type Json } from './scim-client.ts';

for (const engine of testEngines()) {
  // Each CLI launch costs seconds: the store-independent commands (list, revoke, human output) run on the
  // first engine only; the service and API paths behind them run on every engine.
  const full = engine === testEngines()[0];
  describe(`SCIM tokens and log (CLI and API) on ${engine}`, () => {
    let app: TestApp;
    let http: FastifyInstance;
    before(async () => {
      app = await openTestApp(engine, { SPOOL_PUBLIC_URL: 'https://print.example.edu:9192' });
      http = (await buildHttpServer(app)).app;
    });
    after(async () => {
      await http.close();
      await app.dispose();
    });

    test('spool scim token create --json prints tenantUrl and token once; the token works', async () => {
      const env = { ...cliEnv(app.db), SPOOL_PUBLIC_URL: 'https://print.example.edu:9192' };
      const created = await runCli(['scim', 'token', 'create', '--name', 'Entra production', '--json'], env);
      assert.equal(created.code, 0, created.stderr);
      const out = created.json<{ id: number; name: string; token: string; tenantUrl: string }>();
      assert.equal(out.tenantUrl, 'https://print.example.edu:9192/scim/v2');
      assert.match(out.token, /^spool_scim_[A-Za-z0-9_-]{40,}$/);
      assert.equal(out.name, 'Entra production');
      const client = scimClient(http, () => out.token);
      const r = await client.get(`Users?filter=${q('userName eq "test-connection"')}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.totalResults, 0);

      if (!full) return;
      const list = await runCli(['scim', 'token', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const tokens = list.json<Json[]>();
      const mine = tokens.find((t) => t.id === out.id);
      assert.ok(mine);
      assert.equal(mine.name, 'Entra production');
      assert.ok(!list.stdout.includes(out.token), 'lists never show the token');
    });

    test('several tokens are active at once; a revoked one is refused', async () => {
      const env = cliEnv(app.db);
      const a = await app.services.scim.tokens.create('rotation A', 'test');
      const b = await app.services.scim.tokens.create('rotation B', 'test');
      assert.equal((await scimClient(http, () => a.token).get('Users')).status, 200);
      assert.equal((await scimClient(http, () => b.token).get('Users')).status, 200);
      if (full) {
        const revoked = await runCli(['scim', 'token', 'revoke', String(a.id), '--json'], env);
        assert.equal(revoked.code, 0, revoked.stderr);
      } else {
        await app.services.auth.revokeToken('scim', a.id, 'test'); // another service instance: no shared cache
      }
      // This server verified `a` a moment ago and may trust it for a few seconds; a server that has not seen it refuses it.
      const other = await createApp({ config: loadConfig({ SPOOL_DATA_DIR: app.db.dataDir, SPOOL_DATABASE_URL: app.db.databaseUrl ?? '', SPOOL_HTTP_PORT: '0', SPOOL_HTTPS_PORT: 'off' }), log: createLogger('silent') });
      const otherHttp = (await buildHttpServer(other)).app;
      try {
        assert.equal((await scimClient(otherHttp, () => a.token).get('Users')).status, 401);
        assert.equal((await scimClient(otherHttp, () => b.token).get('Users')).status, 200);
      } finally {
        await otherHttp.close();
        await other.close();
      }
      await assert.rejects(app.services.scim.tokens.revoke(a.id, 'test'), { code: 'tokens.not_found', status: 404 });
    });

    test('the /api/v1 twins: create, list, revoke (effective at once), tenant URL and log', async () => {
      const { token: api } = await app.services.auth.createToken('api', 'admin script', 'test');
      const auth = { authorization: `Bearer ${api}` };
      const created = await http.inject({ method: 'POST', url: '/api/v1/scim/tokens', headers: auth, payload: { name: 'From API' } });
      assert.equal(created.statusCode, 201, created.body);
      const t = created.json() as { id: number; token: string; tenantUrl: string };
      assert.equal(t.tenantUrl, 'https://print.example.edu:9192/scim/v2');
      const client = scimClient(http, () => t.token);
      assert.equal((await client.post('Users', entraUser())).status, 201);
      assert.equal((await client.get('Users/424242')).status, 404);
      const listed = await http.inject({ method: 'GET', url: '/api/v1/scim/tokens', headers: auth });
      assert.ok((listed.json() as Json[]).some((x) => x.id === t.id && !('token' in x) && !('tokenHash' in x)));
      const del = await http.inject({ method: 'DELETE', url: `/api/v1/scim/tokens/${t.id}`, headers: auth });
      assert.equal(del.statusCode, 204, del.body);
      assert.equal((await client.get('Users')).status, 401, 'revoked through this server: refused at once');
      const tenant = await http.inject({ method: 'GET', url: '/api/v1/scim/tenant-url', headers: auth });
      assert.deepEqual(tenant.json(), { tenantUrl: 'https://print.example.edu:9192/scim/v2' });
      const spec = await http.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      assert.ok(Object.keys((spec.json() as { paths: Json }).paths).includes('/api/v1/scim/log'));
      assert.equal((await http.inject({ method: 'GET', url: '/api/v1/scim/tokens' })).statusCode, 401);
    });

    test('spool scim log shows what SCIM did, failures first', async () => {
      await app.services.scim.log.flush(); // entries reach the database in batches; the CLI is another process
      const env = cliEnv(app.db);
      const all = await runCli(['scim', 'log', '--json', '--limit', '100'], env);
      assert.equal(all.code, 0, all.stderr);
      const entries = all.json<Json[]>();
      assert.ok(entries.length >= 3);
      const firstOk = entries.findIndex((e) => e.ok);
      assert.ok(firstOk > 0 && entries.slice(firstOk).every((e) => e.ok), 'failures first');
      assert.ok(entries.some((e) => e.operation === 'create' && e.status === 201 && /created user/.test(e.summary)));
      assert.ok(entries.some((e) => !e.ok && e.status === 401 && e.operation === 'authenticate'));
      if (!full) return;
      const failures = await runCli(['scim', 'log', '--failures'], env);
      assert.equal(failures.code, 0, failures.stderr);
      assert.match(failures.stdout, /FAILED\s+404\s+get\s+User 424242/);
      assert.doesNotMatch(failures.stdout, /\bok\b\s+201/, '--failures shows only failures');
    });
  });
}
