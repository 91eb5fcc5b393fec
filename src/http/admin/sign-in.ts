/** Console sign-in, first-run setup and sign-out. */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { SpoolError } from '../../errors.ts';
import type { LoginThrottle } from '../../security/login-throttle.ts';
import { safeEqual } from '../../security/tokens.ts';
import { MIN_ADMIN_PASSWORD } from '../../services/auth-service.ts';
import { page } from '../html/layout.ts';
import { html } from '../html/template.ts';
import { clientIp, type SessionHelpers } from '../sessions.ts';

type Body = Record<string, string | undefined>;

/** A one-time setup token exists only while no admin exists; it is printed in the server log at start. */
export function createSetupToken() {
  let token: string | undefined;
  return {
    issue: (): string => (token ??= crypto.randomBytes(18).toString('base64url')),
    check: (t: unknown): boolean => typeof t === 'string' && token !== undefined && safeEqual(t, token),
    clear: (): void => void (token = undefined),
  };
}

const safeNext = (n: unknown): string => (typeof n === 'string' && /^\/admin(\/[\w\-/.?=&%]*)?$/.test(n) ? n : '/admin');

export function registerSignInRoutes(app: FastifyInstance, spool: App, sessions: SessionHelpers, throttle: LoginThrottle, setup: ReturnType<typeof createSetupToken>): void {
  const sessionMinutes = async (): Promise<number> => Number(await spool.services.settings.value('auth.session-minutes'));

  const signInPage = (csrf: string, next: string, error?: string, username = ''): string =>
    page({ title: 'Sign in', area: 'admin', flash: error ? { kind: 'error', text: error } : undefined }, html`
<h1>Sign in to Spool</h1>
<form method="post" action="/admin/sign-in" class="stack" style="max-width:420px">
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
  <label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required value="${username}" autofocus>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <div class="actions"><button type="submit">Sign in</button></div>
</form>`);

  app.get('/admin/sign-in', async (req: FastifyRequest<{ Querystring: Body }>, reply) => {
    if (await spool.services.auth.setupRequired()) return reply.redirect('/admin/setup');
    return reply.type('text/html; charset=utf-8').send(signInPage(sessions.preAuthCsrf(req, reply), safeNext(req.query.next)));
  });

  app.post('/admin/sign-in', async (req: FastifyRequest<{ Body: Body }>, reply: FastifyReply) => {
    const body = req.body ?? {};
    sessions.checkPreAuthCsrf(req, body._csrf);
    const username = String(body.username ?? '').trim();
    const ip = clientIp(req);
    const wait = throttle.retryAfter(ip, username);
    if (wait > 0) {
      throw new SpoolError('auth.rate_limited', `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, { status: 429, details: { retryAfter: wait } });
    }
    const admin = await spool.services.auth.verifyAdmin(username, String(body.password ?? ''));
    if (!admin) {
      throttle.failed(ip, username);
      req.log.warn({ username, ip }, 'admin sign-in failed');
      return reply.code(401).type('text/html; charset=utf-8').send(signInPage(sessions.preAuthCsrf(req, reply), safeNext(body.next), 'Wrong username or password.', username));
    }
    throttle.succeeded(ip, username);
    await sessions.start(req, reply, 'admin', admin.id, await sessionMinutes());
    await spool.deps.repos.audit.record(`admin:${admin.username}`, 'admins.sign-in', admin.username, { ip }, new Date().toISOString());
    return reply.redirect(safeNext(body.next), 303);
  });

  app.post('/admin/sign-out', async (req, reply) => {
    const s = await sessions.load(req, 'admin');
    if (s) sessions.checkCsrf(req, s);
    await sessions.end(req, reply, 'admin');
    return reply.redirect('/admin/sign-in', 303);
  });

  const setupPage = (csrf: string, token: string, error?: string, username = 'admin'): string =>
    page({ title: 'Set up Spool', area: 'admin', flash: error ? { kind: 'error', text: error } : undefined }, html`
<h1>Welcome to Spool</h1>
<p>Create the first administrator account. You can add your directory (LDAP or Microsoft Entra ID) next.</p>
<form method="post" action="/admin/setup" class="stack" style="max-width:420px">
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="token" value="${token}">
  <label for="username">Admin username</label><input id="username" name="username" type="text" autocomplete="username" required value="${username}">
  <label for="password">Password <span class="help">At least ${MIN_ADMIN_PASSWORD} characters.</span></label><input id="password" name="password" type="password" autocomplete="new-password" minlength="${MIN_ADMIN_PASSWORD}" required>
  <label for="confirm">Confirm password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
  <div class="actions"><button type="submit">Create admin</button></div>
</form>`);

  app.get('/admin/setup', async (req: FastifyRequest<{ Querystring: Body }>, reply) => {
    if (!(await spool.services.auth.setupRequired())) return reply.redirect('/admin/sign-in');
    if (!setup.check(req.query.token)) {
      return reply.code(403).type('text/html; charset=utf-8').send(page({ title: 'Set up Spool', area: 'admin' }, html`<h1>Welcome to Spool</h1><p>To create the first admin, open the one-time setup link printed in the server log when Spool started (look for "setup URL"), or run:</p><pre><code>printf %s 'a-long-password' | spool admin create --username admin --password-stdin</code></pre>`));
    }
    return reply.type('text/html; charset=utf-8').send(setupPage(sessions.preAuthCsrf(req, reply), String(req.query.token)));
  });

  app.post('/admin/setup', async (req: FastifyRequest<{ Body: Body }>, reply) => {
    const body = req.body ?? {};
    sessions.checkPreAuthCsrf(req, body._csrf);
    if (!(await spool.services.auth.setupRequired())) return reply.redirect('/admin/sign-in', 303);
    if (!setup.check(body.token)) throw new SpoolError('auth.setup_token', 'The setup link is not valid.', { status: 403, hint: 'Use the link printed in the server log.' });
    const csrf = sessions.preAuthCsrf(req, reply);
    if (body.password !== body.confirm) return reply.code(400).type('text/html; charset=utf-8').send(setupPage(csrf, String(body.token), 'The passwords do not match.', body.username));
    try {
      const admin = await spool.services.auth.createAdmin(String(body.username ?? ''), String(body.password ?? ''), 'setup');
      setup.clear();
      await sessions.start(req, reply, 'admin', admin.id, await sessionMinutes());
      return reply.redirect('/admin', 303);
    } catch (e) {
      if (e instanceof SpoolError && e.status < 500) return reply.code(400).type('text/html; charset=utf-8').send(setupPage(csrf, String(body.token), e.message, body.username));
      throw e;
    }
  });
}
