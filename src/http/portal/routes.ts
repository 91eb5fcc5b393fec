/**
 * The user portal (/user): sign in with directory (or internal) credentials, see the balance and recent
 * jobs, send a one-page test print to a chosen printer, sign out. Forms are CSRF-protected (the sign-in
 * form with a double-submit cookie, the others with the session's token) and sign-in is rate-limited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { formatCents } from '../../domain/money.ts';
import { SpoolError, isSpoolError } from '../../errors.ts';
import type { Session } from '../../services/auth-service.ts';
import { rowToUser } from '../../store/users-repo.ts';
import { html, raw } from '../html/template.ts';
import type { HttpContext } from '../modules.ts';
import { SESSION_COOKIE, clientIp } from '../sessions.ts';
import { money, sendPage, statusBadge, when, type Flash } from '../admin/ui.ts';
import { signInUser } from './authenticate.ts';

type Body = Record<string, string | undefined>;


export function registerPortal(app: FastifyInstance, spool: App, ctx: HttpContext): void {
  const { sessions, throttle } = ctx;
  const minutes = async (): Promise<number> => Number(await spool.services.settings.value('auth.session-minutes'));

  function signInPage(req: FastifyRequest, reply: FastifyReply, opts: { error?: string; flash?: Flash; login?: string; status?: number } = {}): FastifyReply {
    const csrf = sessions.preAuthCsrf(req, reply);
    const flash: Flash = opts.error ? { kind: 'error', text: opts.error } : opts.flash;
    return sendPage(reply, { title: 'Sign in', area: 'user', flash }, html`
<h1>Spool print portal</h1>
<p>Sign in with your organisation account to see your balance and send a test print.</p>
<form method="post" action="/user/sign-in" class="stack narrow">
  <input type="hidden" name="_csrf" value="${csrf}">
  <div class="field"><label for="username">Username</label><span class="help" id="username-help">Your usual sign-in name, e.g. jsmith, jsmith@example.edu or EXAMPLE\\jsmith.</span>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${opts.login ?? ''}" aria-describedby="username-help"${opts.login ? '' : raw(' autofocus')}></div>
  <div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${opts.login ? raw(' autofocus') : ''}></div>
  <div class="actions"><button type="submit">Sign in</button></div>
</form>`, opts.status);
  }

  async function home(req: FastifyRequest, reply: FastifyReply, session: Session, flash?: Flash, status = 200): Promise<FastifyReply> {
    const { repos } = spool.deps;
    const row = await repos.users.findById(session.subjectId);
    if (!row) {
      await sessions.end(req, reply, 'user');
      return signInPage(req, reply, { status: 401 });
    }
    const user = rowToUser(row);
    if (user.disabled) {
      await sessions.end(req, reply, 'user');
      return signInPage(req, reply, { error: 'Your account is disabled. Ask your administrator.', status: 403 });
    }
    const [account, jobs, transactions, printers] = await Promise.all([
      repos.accounts.get(user.id),
      repos.printing.jobsOfUser(user.id, 10),
      repos.accounts.transactions(user.id, 10),
      spool.services.printing.listPrinters({ includeDisabled: false }),
    ]);
    const body = html`
<h1>Hello, ${user.fullName || user.username}</h1>
<div class="cards">
  <div class="card"><div class="n" id="balance">${account ? formatCents(account.balanceCents) : '–'}</div><div>your balance${account?.restricted === false ? html` <span class="muted">(you may print beyond it)</span>` : ''}</div></div>
</div>
<section aria-labelledby="h-print"><h2 id="h-print">Send a test print</h2>
${printers.length === 0 ? html`<p class="muted">No printer is set up yet. Ask your administrator.</p>` : html`
<form method="post" action="/user/print" class="stack narrow">
  <input type="hidden" name="_csrf" value="${session.csrfToken}">
  <div class="field"><label for="printer">Printer</label><span class="help" id="printer-help">A one-page test job, charged at the printer's cost per page.</span>
  <select id="printer" name="printer" aria-describedby="printer-help">${printers.map((p) => html`<option value="${p.id}">${p.name} (${formatCents(p.costPerPageCents)} per page)</option>`)}</select></div>
  <div class="actions"><button type="submit">Send test print</button></div>
</form>`}
</section>
<section aria-labelledby="h-jobs"><h2 id="h-jobs">Recent print jobs</h2>
<div class="table-wrap"><table class="data" id="jobs"><thead><tr><th scope="col">When</th><th scope="col">Printer</th><th scope="col" class="hide-sm">Document</th><th scope="col" class="num hide-sm">Pages</th><th scope="col" class="num">Cost</th><th scope="col">Status</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr><td>${when(j.createdAt)}</td><td>${j.printerName}</td><td class="hide-sm">${j.documentName}</td><td class="num hide-sm">${j.pages}</td><td class="num">${money(j.costCents)}</td><td>${statusBadge(j.status)}</td></tr>`)}
${jobs.length === 0 ? html`<tr><td colspan="6" class="muted">No print jobs yet.</td></tr>` : ''}</tbody></table></div></section>
<section aria-labelledby="h-tx"><h2 id="h-tx">Recent account activity</h2>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Balance after</th><th scope="col">Reason</th></tr></thead>
<tbody>${transactions.map((t) => html`<tr><td>${when(t.createdAt)}</td><td class="num">${money(t.amountCents)}</td><td class="num">${money(t.balanceAfterCents)}</td><td>${t.reason}</td></tr>`)}
${transactions.length === 0 ? html`<tr><td colspan="4" class="muted">No account activity yet.</td></tr>` : ''}</tbody></table></div></section>`;
    return sendPage(reply, { title: 'Your account', area: 'user', who: user.username, csrfToken: session.csrfToken, flash }, body, status);
  }

  app.get('/user', async (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
    const session = await sessions.load(req, 'user');
    if (!session) {
      const expired = Boolean(req.cookies[SESSION_COOKIE.user]);
      return signInPage(req, reply, expired ? { flash: { kind: 'warn', text: 'Your session has expired. Sign in again.' } } : {});
    }
    let flash: Flash;
    if (req.query.done === 'printed') {
      const [job] = await spool.deps.repos.printing.jobsOfUser(session.subjectId, 1);
      if (job) flash = { kind: 'ok', text: `Test page printed on ${job.printerName}: ${formatCents(job.costCents)} charged.` };
    }
    return home(req, reply, session, flash);
  });

  app.post('/user/sign-in', async (req: FastifyRequest<{ Body: Body }>, reply) => {
    const body = req.body ?? {};
    sessions.checkPreAuthCsrf(req, body._csrf);
    const login = String(body.username ?? '').trim().slice(0, 256);
    const ip = clientIp(req);
    const wait = throttle.retryAfter(ip, login);
    if (wait > 0) {
      throw new SpoolError('auth.rate_limited', `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, { status: 429, details: { retryAfter: wait } });
    }
    const r = await signInUser(spool, login, String(body.password ?? ''));
    if (!r.ok) {
      req.log.warn({ login, ip, reason: r.reason, detail: r.detail }, 'portal sign-in refused');
      if (r.reason === 'unavailable') {
        return signInPage(req, reply, { error: 'Sign-in is not available right now: Spool cannot reach your organisation\'s directory. Try again in a few minutes, or tell your administrator.', login, status: 503 });
      }
      throttle.failed(ip, login);
      const error = r.reason === 'disabled' ? 'Your account is disabled. Ask your administrator.' : 'Wrong username or password.';
      return signInPage(req, reply, { error, login, status: 401 });
    }
    throttle.succeeded(ip, login);
    await sessions.start(req, reply, 'user', r.user.id, await minutes());
    return reply.redirect('/user', 303);
  });

  /** Portal POSTs need a live user session and its CSRF token. */
  async function requireSession(req: FastifyRequest): Promise<Session> {
    const session = await sessions.load(req, 'user');
    if (!session) throw new SpoolError('auth.session_expired', 'Your session has expired.', { status: 401, hint: 'Sign in again.' });
    sessions.checkCsrf(req, session);
    return session;
  }

  app.post('/user/print', async (req: FastifyRequest<{ Body: Body }>, reply) => {
    const session = await requireSession(req);
    const row = await spool.deps.repos.users.findById(session.subjectId);
    if (!row) throw new SpoolError('auth.session_expired', 'Your session has expired.', { status: 401 });
    const printerId = Number(req.body?.printer);
    try {
      await spool.services.printing.testPrint(row.id, Number.isSafeInteger(printerId) ? printerId : -1, `user:${row.username}`);
    } catch (e) {
      if (isSpoolError(e) && e.status < 500) return home(req, reply, session, { kind: 'error', text: `${e.message}${e.hint ? ` ${e.hint}` : ''}` }, e.status);
      throw e;
    }
    return reply.redirect('/user?done=printed', 303);
  });

  app.post('/user/sign-out', async (req, reply) => {
    const s = await sessions.load(req, 'user');
    if (s) sessions.checkCsrf(req, s);
    await sessions.end(req, reply, 'user');
    return reply.redirect('/user', 303);
  });
}
