/**
 * The console and the portal over HTTP (Fastify inject): CSRF refusal, session expiry, sign-in rate
 * limits, security headers, secrets never rendered, inline form errors that save nothing, the one-time
 * SCIM token, and the portal's test print. Runs on both engines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildHttpServer } from '../src/http/server.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';

const ADMIN_PW = 'correct-horse-battery';

/** A tiny cookie jar over inject. */
function browser(http: FastifyInstance) {
  const jar = new Map<string, string>();
  const remember = (res: LightMyRequestResponse): void => {
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
  };
  const cookie = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    async get(url: string): Promise<LightMyRequestResponse> {
      const res = await http.inject({ method: 'GET', url, headers: { cookie: cookie() } });
      remember(res);
      return res;
    },
    async post(url: string, payload: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(payload)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      const res = await http.inject({ method: 'POST', url, headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
      remember(res);
      return res;
    },
  };
}
type Browser = ReturnType<typeof browser>;

const csrfIn = (body: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  assert.ok(m, 'the page has a CSRF token');
  return m[1]!;
};

async function signInAdmin(b: Browser): Promise<string> {
  const page = await b.get('/admin/sign-in');
  const r = await b.post('/admin/sign-in', { _csrf: csrfIn(page.body), username: 'admin', password: ADMIN_PW, next: '/admin' });
  assert.equal(r.statusCode, 303, r.body);
  return csrfIn((await b.get('/admin')).body);
}

for (const engine of testEngines()) {
  describe(`console and portal over HTTP on ${engine}`, () => {
    let app: TestApp;
    let http: FastifyInstance;
    let now = new Date();
    before(async () => {
      app = await openTestApp(engine, {}, () => now);
      http = (await buildHttpServer(app)).app;
      await app.services.auth.createAdmin('admin', ADMIN_PW, 'test');
    });
    after(async () => {
      await http.close();
      await app.dispose();
    });

    test('security headers: CSP without inline script, no framing, no sniffing; cookies HttpOnly and SameSite', async () => {
      const b = browser(http);
      const r = await b.get('/admin/sign-in');
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.ok(r.headers['x-frame-options']);
      assert.doesNotMatch(r.body, /<script(?![^>]*\bsrc=)/, 'no inline script');
      await signInAdmin(b);
      assert.equal((await b.get('/admin/users')).headers['cache-control'], 'no-store');
      const portal = await http.inject({ method: 'GET', url: '/user' });
      const cookies = ([] as string[]).concat((portal.headers['set-cookie'] as string[] | string | undefined) ?? []).join('\n');
      assert.match(cookies, /HttpOnly/);
      assert.match(cookies, /SameSite=Strict/);
      const js = await b.get('/assets/console.js');
      assert.equal(js.statusCode, 200);
      assert.match(String(js.headers['content-type']), /javascript/);
    });

    test('forms without the right CSRF token are refused and change nothing', async () => {
      const b = browser(http);
      const csrf = await signInAdmin(b);
      const none = await b.post('/admin/printers', { name: 'Sneaky', cost: '0.10' });
      assert.equal(none.statusCode, 403);
      const wrong = await b.post('/admin/printers', { _csrf: 'x'.repeat(43), name: 'Sneaky', cost: '0.10' });
      assert.equal(wrong.statusCode, 403);
      assert.equal((await app.services.printing.listPrinters()).length, 0);
      const ok = await b.post('/admin/printers', { _csrf: csrf, name: 'Front desk', cost: '0.10' });
      assert.equal(ok.statusCode, 303);
      const signIn = await browser(http).post('/user/sign-in', { username: 'x', password: 'y' });
      assert.equal(signIn.statusCode, 403, 'the portal sign-in needs its double-submit token');
      const api = await b.post('/api/v1/quota/run', {});
      assert.equal(api.statusCode, 403, 'API writes with a console session need X-CSRF-Token');
    });

    test('an expired session sends pages to sign-in and refuses posts', async () => {
      const b = browser(http);
      const csrf = await signInAdmin(b);
      assert.equal((await b.get('/admin/users')).statusCode, 200);
      now = new Date(now.getTime() + 481 * 60_000); // auth.session-minutes defaults to 480
      try {
        const page = await b.get('/admin/users?q=a');
        assert.equal(page.statusCode, 302);
        assert.equal(page.headers.location, '/admin/sign-in?next=%2Fadmin%2Fusers%3Fq%3Da');
        const post = await b.post('/admin/printers', { _csrf: csrf, name: 'Late', cost: '0.10' });
        assert.equal(post.statusCode, 401);
        assert.match(post.body, /session has expired/);
      } finally {
        now = new Date();
      }
    });

    test('admin and portal sign-in are rate-limited (429 with Retry-After)', async () => {
      const b = browser(http);
      const page = await b.get('/user');
      const csrf = csrfIn(page.body);
      let last: LightMyRequestResponse | undefined;
      for (let i = 0; i < 6; i++) last = await b.post('/user/sign-in', { _csrf: csrf, username: 'guess', password: `wrong-${i}` });
      assert.equal(last?.statusCode, 429);
      assert.ok(Number(last?.headers['retry-after']) > 0);
      const adminPage = await b.get('/admin/sign-in');
      for (let i = 0; i < 6; i++) last = await b.post('/admin/sign-in', { _csrf: csrfIn(adminPage.body), username: 'nobody', password: `wrong-${i}` });
      assert.equal(last?.statusCode, 429);
    });

    test('the sync page never renders the bind password, and bad input saves nothing', async () => {
      await app.services.settings.set('ldap.bind-password', 'Sup3r-Secret-Bind', 'test');
      const b = browser(http);
      const csrf = await signInAdmin(b);
      const page = await b.get('/admin/options/sync');
      assert.equal(page.statusCode, 200);
      assert.ok(!page.body.includes('Sup3r-Secret-Bind'));
      assert.match(page.body, /A password is set/);
      const before = await app.services.settings.snapshot('ldap.');
      const bad = await b.post('/admin/options/sync', {
        _csrf: csrf,
        'sync.primary-source': 'ldap',
        'ldap.server-type': 'openldap',
        'ldap.hosts': 'ldap.example.org',
        'ldap.port': '70000',
        'ldap.security': 'starttls',
        'ldap.base-dn': 'dc=example,dc=org',
        'ldap.bind-dn': 'cn=reader,dc=example,dc=org',
        'ldap.bind-password': '',
        'ldap.schema.user-filter': '(&(objectClass=person)',
        'ldap.card-transform': 'hex-to-dec|frobnicate',
        'ldap.ca-pem': 'not a certificate',
      });
      assert.equal(bad.statusCode, 400);
      for (const text of [/at most 65535/, /card number conversion/, /not a PEM certificate/, /aria-invalid="true"/, /nothing was saved/]) assert.match(bad.body, text);
      assert.match(bad.body, /id="f-ldap-schema-user-filter-error"/);
      assert.ok(!bad.body.includes('Sup3r-Secret-Bind'));
      assert.deepEqual(await app.services.settings.snapshot('ldap.'), before, 'nothing saved');
      assert.equal(await app.services.settings.value('sync.primary-source'), 'internal');

      const good = await b.post('/admin/options/sync', {
        _csrf: csrf,
        'sync.primary-source': 'ldap',
        '_shown-type.ldap': 'active-directory',
        'ldap.server-type': 'openldap',
        'ldap.hosts': 'ldap1.example.org, ldap2.example.org',
        'ldap.port': '', // empty: the security mode's default
        'ldap.security': 'none',
        'ldap.base-dn': 'dc=example,dc=org',
        'ldap.bind-dn': 'cn=reader,dc=example,dc=org',
        'ldap.bind-password': '',
        'ldap.import-disabled': ['false', 'true'],
        'ldap.update-details': 'false',
        'ldap.schema.username-attr': 'sAMAccountName', // the AD preset it was shown with: not an override
        'ldap.schema.email-attr': 'mailPrimaryAddress', // a real override
        'sync.initial-credit': '2.50',
      });
      assert.equal(good.statusCode, 200, 'shown again because of the plain-LDAP warning');
      assert.match(good.body, /in clear/);
      const s = await app.services.settings.snapshot();
      assert.deepEqual(s['ldap.hosts'], ['ldap1.example.org', 'ldap2.example.org']);
      assert.equal(s['ldap.bind-password'], 'Sup3r-Secret-Bind', 'an empty password field keeps the saved one');
      assert.equal(s['ldap.import-disabled'], true);
      assert.equal(s['ldap.update-details'], false);
      assert.equal(s['ldap.schema.username-attr'], '');
      assert.equal(s['ldap.schema.email-attr'], 'mailPrimaryAddress');
      assert.equal(s['sync.initial-credit-cents'], 250);
      assert.equal(s['ldap.port'], 0);
      assert.match(good.body, /name="ldap\.port" type="number" value="" placeholder="default"/, 'the default port shows as an empty field');
      const audit = await app.services.audit.list({ limit: 1, action: 'config.set-many' });
      assert.equal(audit[0]?.actor, 'admin:admin');
    });

    test('the Entra add-on shows a new SCIM token once, and it works', async () => {
      const b = browser(http);
      const csrf = await signInAdmin(b);
      const add = await b.post('/admin/addons/entra/add', { _csrf: csrf });
      assert.equal(add.statusCode, 303);
      const page = await b.get(String(add.headers.location));
      const token = /id="secret-token" type="text" readonly value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      assert.ok(token?.startsWith('spool_scim_'), 'the new token is shown');
      assert.match(page.body, /scim\/v2/);
      assert.ok(await app.services.auth.verifyToken('scim', token));
      const again = await b.get(String(add.headers.location));
      assert.ok(!again.body.includes(token), 'shown only once');
      assert.match(again.body, /Secret token:<\/strong> set/);
      const regen = await b.post('/admin/addons/entra/regenerate', { _csrf: csrf });
      const fresh = /id="secret-token" type="text" readonly value="([^"]+)"/.exec((await b.get(String(regen.headers.location))).body)?.[1];
      assert.ok(fresh && fresh !== token);
      assert.equal(await app.services.auth.verifyToken('scim', token), undefined, 'the old token is revoked');
      assert.ok(await app.services.auth.verifyToken('scim', fresh));
    });

    test('admin forms: inline errors save nothing; users, groups and printers pages work', async () => {
      const b = browser(http);
      const csrf = await signInAdmin(b);
      const u = await app.services.users.add({ username: 'dora', fullName: 'Dora D', initialBalance: '1.00' }, 'test');
      const bad = await b.post(`/admin/users/${u.id}/adjust`, { _csrf: csrf, amount: '1.234', reason: 'x' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /not an amount of money/);
      const ok = await b.post(`/admin/users/${u.id}/adjust`, { _csrf: csrf, amount: '-0.40', reason: 'Photocopies' });
      assert.equal(ok.statusCode, 303);
      const detail = await b.get(String(ok.headers.location));
      assert.match(detail.body, /id="balance">0\.60</);
      assert.match(detail.body, /Balance adjusted/);
      const list = await b.get('/admin/users?q=dor&sort=balance&order=desc');
      assert.match(list.body, /href="\/admin\/users\/\d+">dora</);
      const printer = await b.post('/admin/printers', { _csrf: csrf, name: '', cost: 'abc' });
      assert.equal(printer.statusCode, 400);
      assert.match(printer.body, /not a valid printer name/);
      assert.match(printer.body, /not an amount of money/);
      const gid = await app.deps.repos.groups.insert({ name: 'Year 9', source: 'internal' }, new Date().toISOString());
      const g = await b.post(`/admin/groups/${gid}/policy`, { _csrf: csrf, initialCredit: '5', initialRestricted: 'true', quota: '1.00', quotaPeriod: '' });
      assert.equal(g.statusCode, 400);
      assert.match(g.body, /Choose how often/);
      assert.equal((await app.services.groups.requireGroup(gid)).initialCreditCents, null, 'nothing saved');
      const g2 = await b.post(`/admin/groups/${gid}/policy`, { _csrf: csrf, initialCredit: '5', initialRestricted: 'false', quota: '1.00', quotaPeriod: 'week' });
      assert.equal(g2.statusCode, 303);
      const saved = await app.services.groups.requireGroup(gid);
      assert.deepEqual([saved.initialCreditCents, saved.initialRestricted, saved.quotaCents, saved.quotaPeriod], [500, 0, 100, 'week']);
      const dis = await b.post(`/admin/users/${u.id}/disable`, { _csrf: csrf });
      assert.equal(dis.statusCode, 303);
      assert.equal((await app.services.users.show(u.id)).user.disabled, true);
      for (const url of ['/admin', '/admin/groups', `/admin/groups/${gid}`, '/admin/logs', '/admin/logs?tab=audit', '/admin/logs?tab=scim', '/admin/addons']) {
        assert.equal((await b.get(url)).statusCode, 200, url);
      }
      assert.equal((await b.get('/admin/users/999999')).statusCode, 404);
    });

    test('log pages: the level filter is a floor (warnings and errors), as in the CLI and the API', async () => {
      const b = browser(http);
      await signInAdmin(b);
      const runs = app.deps.repos.syncRuns;
      const t = now.toISOString();
      const id = await runs.start({ source: 'ldap', mode: 'full', trigger: 'manual', dryRun: false }, t);
      await runs.log(id, [{ level: 'info', message: 'Added user "floor-info".' }, { level: 'warn', message: 'Skipped "floor-warn".' }, { level: 'error', message: 'Failed "floor-error".' }], t);
      await runs.finish(id, { status: 'succeeded', finishedAt: t, durationMs: 10, stats: {}, error: null });
      for (const url of [`/admin/options/sync/runs/${id}`, '/admin/logs?tab=sync']) {
        const shown = async (level: string): Promise<string[]> => ((await b.get(`${url}${url.includes('?') ? '&' : '?'}level=${level}&q=floor-`)).body.match(/floor-(info|warn|error)/g) ?? []).sort();
        assert.deepEqual(await shown('warn'), ['floor-error', 'floor-warn'], url);
        assert.deepEqual(await shown('error'), ['floor-error'], url);
        assert.deepEqual(await shown('info'), ['floor-error', 'floor-info', 'floor-warn'], url);
        assert.match((await b.get(`${url}${url.includes('?') ? '&' : '?'}level=warn`)).body, /<option value="warn" selected>Warnings and errors<\/option>/);
      }
    });

    test('dashboard alerts: failed sync, delete protection, certificate expiry, idle SCIM token', async () => {
      const b = browser(http);
      await signInAdmin(b);
      const { repos } = app.deps;
      const t = now.toISOString();
      const failed = await repos.syncRuns.start({ source: 'ldap', mode: 'full', trigger: 'schedule', dryRun: false }, t);
      await repos.syncRuns.finish(failed, { status: 'failed', finishedAt: t, durationMs: 10, stats: {}, error: 'The directory server 10.0.0.5:636 did not answer.' });
      let page = await b.get('/admin');
      assert.match(page.body, /The last sync failed/);
      assert.match(page.body, /did not answer/);
      const stopped = await repos.syncRuns.start({ source: 'ldap', mode: 'full', trigger: 'schedule', dryRun: false }, t);
      await repos.syncRuns.finish(stopped, { status: 'stopped', finishedAt: t, durationMs: 10, stats: {}, error: 'This sync would disable 60% of the users.' });
      const soon = new Date(now.getTime() + 10 * 86_400_000).toISOString();
      await repos.audit.record('admin:admin', 'sync.test', 'primary', { ok: true, certificate: { subject: 'CN=dc1.example.org', validTo: soon } }, t);
      const scim = await app.services.scim.tokens.create('Entra', 'test');
      now = new Date(now.getTime() + 8 * 86_400_000);
      try {
        await signInAdmin(b); // eight days later: a new session
        page = await b.get('/admin');
        assert.match(page.body, /Delete protection stopped the sync/);
        assert.match(page.body, /certificate \(CN=dc1\.example\.org\) expires in 2 day\(s\)/);
        assert.match(page.body, /SCIM token "Entra" has never been used/);
      } finally {
        now = new Date(now.getTime() - 8 * 86_400_000);
        await app.services.scim.tokens.revoke(scim.id, 'test');
      }
    });

    test('an expired portal session asks to sign in again', async () => {
      await app.services.users.add({ username: 'fred', password: 'fred-password-1' }, 'test');
      const b = browser(http);
      await b.post('/user/sign-in', { _csrf: csrfIn((await b.get('/user')).body), username: 'fred', password: 'fred-password-1' });
      assert.match((await b.get('/user')).body, /Hello, fred/);
      now = new Date(now.getTime() + 481 * 60_000);
      try {
        const page = await b.get('/user');
        assert.match(page.body, /session has expired/);
        const post = await b.post('/user/print', { _csrf: 'x', printer: '1' });
        assert.equal(post.statusCode, 401);
      } finally {
        now = new Date(now.getTime() - 481 * 60_000);
      }
    });

    test('portal: internal user signs in, prints, is refused without credit; disabled users cannot sign in', async () => {
      await app.services.users.add({ username: 'erin', fullName: 'Erin E', password: 'erin-password-1', initialBalance: '0.15', restricted: true }, 'test');
      const printer = await app.services.printing.addPrinter({ name: 'Portal printer', cost: '0.10' }, 'test');
      const b = browser(http);
      const wrong = await b.post('/user/sign-in', { _csrf: csrfIn((await b.get('/user')).body), username: 'erin', password: 'nope-nope' });
      assert.equal(wrong.statusCode, 401);
      assert.match(wrong.body, /Wrong username or password/);
      const ok = await b.post('/user/sign-in', { _csrf: csrfIn(wrong.body), username: 'ERIN', password: 'erin-password-1' });
      assert.equal(ok.statusCode, 303);
      const home = await b.get('/user');
      assert.match(home.body, /Hello, Erin E/);
      const csrf = csrfIn(home.body);
      const printed = await b.post('/user/print', { _csrf: csrf, printer: String(printer.id) });
      assert.equal(printed.statusCode, 303);
      assert.match((await b.get(String(printed.headers.location))).body, /Test page printed on Portal printer/);
      const refused = await b.post('/user/print', { _csrf: csrf, printer: String(printer.id) });
      assert.equal(refused.statusCode, 402);
      assert.match(refused.body, /Not enough credit: this job costs 0\.10 and the balance is 0\.05/);
      const noCsrf = await b.post('/user/print', { printer: String(printer.id) });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal((await app.services.users.show('erin')).account?.balanceCents, 5);

      await app.services.users.setDisabled('erin', true, 'test');
      const afterDisable = await b.get('/user');
      assert.match(afterDisable.body, /account is disabled/);
      const c = browser(http);
      const disabled = await c.post('/user/sign-in', { _csrf: csrfIn((await c.get('/user')).body), username: 'erin', password: 'erin-password-1' });
      assert.equal(disabled.statusCode, 401);
      assert.match(disabled.body, /account is disabled/);
      const out = await b.post('/user/sign-out', { _csrf: csrf });
      assert.equal(out.statusCode, 303);
    });
  });
}
