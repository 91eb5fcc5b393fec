/** The JSON API and the admin sign-in, over HTTP (Fastify inject), on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../src/http/server.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';

const cookieOf = (res: { headers: Record<string, unknown> }, name: string): string | undefined => {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  return list.map(String).find((c) => c.startsWith(`${name}=`))?.split(';')[0];
};

for (const engine of testEngines()) {
  describe(`JSON API on ${engine}`, () => {
    let app: TestApp;
    let http: FastifyInstance;
    let token: string;
    const auth = () => ({ authorization: `Bearer ${token}` });

    before(async () => {
      app = await openTestApp(engine);
      http = (await buildHttpServer(app)).app;
      token = (await app.services.auth.createToken('api', 'tests', 'test')).token;
    });
    after(async () => {
      await http.close();
      await app.dispose();
    });

    test('requests without a valid token are refused with 401 and a JSON error', async () => {
      const none = await http.inject({ method: 'GET', url: '/api/v1/users' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error.code, 'api.unauthorized');
      const bad = await http.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: 'Bearer nope' } });
      assert.equal(bad.statusCode, 401);
    });

    test('add a user, adjust the balance, read it back; hashes never leave', async () => {
      const add = await http.inject({ method: 'POST', url: '/api/v1/users', headers: auth(), payload: { username: 'ApiUser', fullName: 'Api User', password: 'portal-password', initialBalance: '1.00' } });
      assert.equal(add.statusCode, 201, add.body);
      assert.equal(add.json().username, 'apiuser');
      assert.ok(!add.body.includes('argon2'), 'no password hash in the response');
      const adj = await http.inject({ method: 'POST', url: '/api/v1/users/apiuser/adjustments', headers: auth(), payload: { amount: '-0.25', reason: 'Photocopies' } });
      assert.equal(adj.statusCode, 201, adj.body);
      assert.equal(adj.json().transaction.balanceAfterCents, 75);
      const show = await http.inject({ method: 'GET', url: '/api/v1/users/APIUSER', headers: auth() });
      assert.equal(show.json().account.balanceCents, 75);
      assert.equal(show.json().transactions.length, 2);
      const dup = await http.inject({ method: 'POST', url: '/api/v1/users', headers: auth(), payload: { username: 'apiuser' } });
      assert.equal(dup.statusCode, 409);
      const badAmount = await http.inject({ method: 'POST', url: '/api/v1/users/apiuser/adjustments', headers: auth(), payload: { amount: '1.234', reason: 'x' } });
      assert.equal(badAmount.statusCode, 400);
      assert.equal(badAmount.json().error.code, 'accounts.invalid_amount');
    });

    test('bad input gets a clear 400 naming the field; bad JSON and unknown routes too', async () => {
      const r = await http.inject({ method: 'POST', url: '/api/v1/users', headers: auth(), payload: { fullName: 'no username' } });
      assert.equal(r.statusCode, 400);
      assert.match(r.json().error.message, /username/);
      const badJson = await http.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth(), 'content-type': 'application/json' }, payload: '{"username":' });
      assert.equal(badJson.statusCode, 400);
      assert.equal(badJson.json().error.code, 'http.invalid_json');
      const missing = await http.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: auth() });
      assert.equal(missing.statusCode, 404);
      const cfg = await http.inject({ method: 'PUT', url: '/api/v1/config/ldap.port', headers: auth(), payload: { value: 'abc' } });
      assert.equal(cfg.statusCode, 400);
      assert.equal(cfg.json().error.code, 'config.invalid_value');
    });

    test('settings: secrets are write-only', async () => {
      const set = await http.inject({ method: 'PUT', url: '/api/v1/config/ldap.bind-password', headers: auth(), payload: { value: 'S3cret!' } });
      assert.equal(set.statusCode, 200);
      assert.equal(set.json().value, 'set');
      const all = await http.inject({ method: 'GET', url: '/api/v1/config?prefix=ldap.', headers: auth() });
      assert.ok(!all.body.includes('S3cret!'));
    });

    test('the OpenAPI document describes the routes', async () => {
      const r = await http.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      assert.equal(r.statusCode, 200);
      const doc = r.json();
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/api/v1/users'].get);
      assert.ok(doc.paths['/api/v1/users/{username}/adjustments'].post.requestBody);
    });

    test('health and readiness', async () => {
      assert.equal((await http.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      const ready = await http.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.json().database, engine);
    });

    test('admin sign-in: CSRF required, wrong password refused, session works for the console and the API', async () => {
      await app.services.auth.createAdmin('root', 'correct-horse-battery', 'test');
      const form = await http.inject({ method: 'GET', url: '/admin/sign-in' });
      assert.equal(form.statusCode, 200);
      assert.equal(form.headers['x-frame-options'], 'SAMEORIGIN');
      assert.match(String(form.headers['content-security-policy']), /script-src 'self'/);
      const pre = cookieOf(form, 'spool_csrf');
      assert.ok(pre);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
      const noCsrf = await http.inject({ method: 'POST', url: '/admin/sign-in', payload: { username: 'root', password: 'correct-horse-battery' } });
      assert.equal(noCsrf.statusCode, 403);
      const wrong = await http.inject({ method: 'POST', url: '/admin/sign-in', headers: { cookie: pre }, payload: { _csrf: csrf, username: 'root', password: 'wrong' } });
      assert.equal(wrong.statusCode, 401);
      assert.match(wrong.body, /Wrong username or password/);
      const ok = await http.inject({ method: 'POST', url: '/admin/sign-in', headers: { cookie: pre }, payload: { _csrf: csrf, username: 'root', password: 'correct-horse-battery' } });
      assert.equal(ok.statusCode, 303);
      const session = cookieOf(ok, 'spool_admin');
      assert.ok(session);
      assert.match(String(ok.headers['set-cookie']), /HttpOnly/i);
      assert.match(String(ok.headers['set-cookie']), /SameSite=Strict/i);
      const dash = await http.inject({ method: 'GET', url: '/admin', headers: { cookie: session } });
      assert.equal(dash.statusCode, 200);
      assert.match(dash.body, /Dashboard/);
      const apiRead = await http.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: session } });
      assert.equal(apiRead.statusCode, 200);
      const apiWriteNoCsrf = await http.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: session }, payload: { username: 'x1' } });
      assert.equal(apiWriteNoCsrf.statusCode, 403, 'cookie-authenticated writes need the CSRF header');
      const signedOut = await http.inject({ method: 'GET', url: '/admin', headers: { cookie: 'spool_admin=forged' } });
      assert.equal(signedOut.statusCode, 302);
      assert.match(String(signedOut.headers.location), /^\/admin\/sign-in/);
    });

    test('sign-in is rate limited per client and name', async () => {
      const form = await http.inject({ method: 'GET', url: '/admin/sign-in' });
      const pre = cookieOf(form, 'spool_csrf');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await http.inject({ method: 'POST', url: '/admin/sign-in', headers: { cookie: pre }, payload: { _csrf: csrf, username: 'victim', password: `guess${i}` } });
        codes.push(r.statusCode);
      }
      assert.deepEqual(codes.slice(0, 5), [401, 401, 401, 401, 401]);
      assert.equal(codes[5], 429);
    });
  });
}
