/**
 * Users: a searchable, sortable, paged list (one page of rows and one count per request, whatever the
 * number of users) and a detail page with the account, groups, cards, transactions and print jobs, where
 * an admin adjusts the balance or disables/enables the user.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { isSpoolError } from '../../errors.ts';
import type { UserSortKey } from '../../store/users-repo.ts';
import { html, type SafeHtml } from '../html/template.ts';
import { breakable, csrfInput, sourceLabel, flashFrom, intParam, money, num, pager, qs, sendAdmin, sortHeader, statusBadge, strParam, textField, when, type Flash } from './ui.ts';
import { isUserSource } from '../../domain/users.ts';

type Query = Record<string, string | undefined>;
type Body = Record<string, string | undefined>;

const PAGE = 50;
const SORTS: readonly UserSortKey[] = ['username', 'fullName', 'email', 'department', 'source', 'createdAt', 'balance'];
const DONE = { adjusted: 'Balance adjusted.', disabled: 'User disabled: they can no longer sign in or print.', enabled: 'User enabled.' };

export function registerUsersPages(app: FastifyInstance, spool: App): void {
  const { users } = spool.services;

  app.get('/admin/users', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const q = req.query;
    const search = strParam(q.q).trim();
    const sort = (SORTS as readonly string[]).includes(q.sort ?? '') ? (q.sort as UserSortKey) : 'username';
    const order = q.order === 'desc' ? 'desc' : 'asc';
    const source = isUserSource(q.source) ? q.source : undefined;
    const status = q.status === 'disabled' || q.status === 'enabled' ? q.status : '';
    const offset = intParam(q.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const r = await users.list({ search: search || undefined, source, disabled: status === '' ? undefined : status === 'disabled', sort, order, limit: PAGE, offset });
    const base = { q: search, source, status };
    const href = (o: Record<string, string | number | undefined>): string => `/admin/users${qs({ ...base, sort, order, ...o })}`;
    const th = (label: string, key: UserSortKey, cls?: string): SafeHtml => sortHeader(label, key, { sort, order }, (s, o) => href({ sort: s, order: o, offset: undefined }), cls);
    const body = html`
<h1>Users</h1>
<form method="get" action="/admin/users" class="toolbar" role="search">
  <div class="field"><label for="user-search">Search</label><input id="user-search" name="q" type="search" value="${search}" placeholder="name, email or card number"></div>
  <div class="field"><label for="user-source">Source</label><select id="user-source" name="source">${[['', 'All'], ['ldap', 'LDAP'], ['scim', 'SCIM'], ['internal', 'Internal']].map(([v, l]) => html`<option value="${v}"${v === (source ?? '') ? html` selected` : ''}>${l}</option>`)}</select></div>
  <div class="field"><label for="user-status">Status</label><select id="user-status" name="status">${[['', 'All'], ['enabled', 'Enabled'], ['disabled', 'Disabled']].map(([v, l]) => html`<option value="${v}"${v === status ? html` selected` : ''}>${l}</option>`)}</select></div>
  <input type="hidden" name="sort" value="${sort}"><input type="hidden" name="order" value="${order}">
  <div class="field"><button type="submit">Search</button></div>
</form>
${pager({ total: r.total, limit: PAGE, offset, href: (o) => href({ offset: o }), noun: 'users' })}
<div class="table-wrap"><table class="data">
<caption class="sr-only">Users, sorted by ${sort} ${order === 'asc' ? 'ascending' : 'descending'}</caption>
<thead><tr>${th('Username', 'username')}${th('Full name', 'fullName')}${th('Email', 'email', 'hide-sm')}${th('Department', 'department', 'hide-sm')}${th('Source', 'source', 'hide-sm')}${th('Balance', 'balance', 'num')}<th scope="col">Status</th></tr></thead>
<tbody>${r.items.map((u) => html`<tr>
  <td><a href="/admin/users/${u.id}">${u.username}</a></td><td>${u.fullName}</td><td class="hide-sm">${u.email ?? ''}</td><td class="hide-sm">${u.department ?? ''}</td><td class="hide-sm">${sourceLabel(u.source)}</td>
  <td class="num">${money(u.balanceCents)}${u.restricted ? '' : html` <span class="muted" title="unrestricted">∞</span>`}</td><td>${u.disabled ? statusBadge('disabled') : 'enabled'}</td></tr>`)}
${r.items.length === 0 ? html`<tr><td colspan="7" class="muted">No users match.${search ? '' : html` Connect your directory on the <a href="/admin/options/sync">User/Group Sync</a> page.`}</td></tr>` : ''}
</tbody></table></div>
${r.total > PAGE ? pager({ total: r.total, limit: PAGE, offset, href: (o) => href({ offset: o }), noun: 'users' }) : ''}`;
    return sendAdmin(req, reply, 'Users', '/admin/users', body);
  });

  async function detail(req: FastifyRequest<{ Params: { id: string }; Querystring: Query }>, reply: FastifyReply, form?: { values: Body; error: string; field: string }): Promise<FastifyReply> {
    const id = Number(req.params.id);
    const d = await users.show(Number.isSafeInteger(id) ? id : -1);
    const u = d.user;
    const flash: Flash = form ? { kind: 'error', text: form.error } : flashFrom(req.query, DONE);
    const row = (label: string, value: SafeHtml | string | null | undefined): SafeHtml => html`<tr><th scope="row">${label}</th><td>${value ?? ''}</td></tr>`;
    const source = u.source === 'ldap' ? html`LDAP${u.sourceName ? ` (${u.sourceName})` : ''}${u.ldapDn ? html`<br>${breakable(u.ldapDn)}` : ''}` : u.source === 'scim' ? html`SCIM (Microsoft Entra ID)${u.scimExternalId ? html`<br><span class="muted">external id</span> <code>${u.scimExternalId}</code>` : ''}` : 'Internal';
    const body = html`
<p><a href="/admin/users">← Users</a></p>
<h1>${u.fullName || u.username} <span class="muted">(${u.username})</span> ${u.disabled ? statusBadge('disabled') : ''}</h1>
<div class="columns">
<section aria-labelledby="h-details"><h2 id="h-details">Details</h2>
<table class="kv">${row('Username', u.username)}${u.usernameAlias ? row('Alias', u.usernameAlias) : ''}${row('Full name', u.fullName)}${row('Email', u.email)}${u.otherEmails.length ? row('Other emails', u.otherEmails.join(', ')) : ''}
${row('Department', u.department)}${row('Office', u.office)}${row('Source', source)}${row('Card number', u.cardNumber)}${row('Second card', u.cardNumber2)}${row('PIN', u.hasPin ? 'set' : 'not set')}${u.homeDir ? row('Home directory', u.homeDir) : ''}
${row('Status', u.disabled ? html`disabled ${when(u.disabledAt)} <span class="muted">(${u.disabledReason ?? ''})</span>` : 'enabled')}${row('Created', when(u.createdAt))}${row('Updated', when(u.updatedAt))}</table>
<h2 id="h-groups">Groups</h2>
${d.groups.length ? html`<ul class="tags">${d.groups.map((g) => html`<li><a href="/admin/groups/${g.id}">${g.name}</a>${g.direct ? '' : html` <span class="muted">(nested)</span>`}</li>`)}</ul>` : html`<p class="muted">In no group.</p>`}
</section>
<section aria-labelledby="h-account"><h2 id="h-account">Account</h2>
${d.account ? html`<p class="balance"><span class="n" id="balance">${money(d.account.balanceCents)}</span> balance ${d.account.restricted ? html`<span class="badge warn">restricted</span>` : html`<span class="badge info">unrestricted</span>`}</p>` : html`<p class="muted">No account.</p>`}
<form method="post" action="/admin/users/${u.id}/adjust" class="stack" novalidate>
  ${csrfInput(req)}
  <h3>Adjust balance</h3>
  ${textField({ name: 'amount', label: 'Amount', help: 'Add 5.00 or subtract -2.50.', value: form?.values.amount, error: form?.field === 'amount' ? form.error : undefined, extra: html` inputmode="decimal" autocomplete="off"` })}
  ${textField({ name: 'reason', label: 'Reason', help: 'Kept in the transaction history.', value: form?.values.reason, error: form?.field === 'reason' ? form.error : undefined })}
  <div class="actions"><button type="submit">Adjust balance</button></div>
</form>
<h3>Access</h3>
<p>${u.disabled ? 'Disabled: cannot sign in or print. Balance, history and groups are kept.' : 'Enabled: can sign in and print.'}</p>
<form method="post" action="/admin/users/${u.id}/${u.disabled ? 'enable' : 'disable'}" class="inline-form"${u.disabled ? '' : html` data-confirm="Disable ${u.username}? They will not be able to sign in or print."`}>
  ${csrfInput(req)}<button type="submit" class="${u.disabled ? 'secondary' : 'danger'}">${u.disabled ? 'Enable user' : 'Disable user'}</button>
</form>
</section>
</div>
<h2 id="h-tx">Transactions</h2>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Balance after</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead>
<tbody>${d.transactions.map((t) => html`<tr><td>${when(t.createdAt)}</td><td class="num">${money(t.amountCents)}</td><td class="num">${money(t.balanceAfterCents)}</td><td>${t.reason}</td><td>${t.actor}</td></tr>`)}
${d.transactions.length === 0 ? html`<tr><td colspan="5" class="muted">No transactions yet.</td></tr>` : ''}</tbody></table></div>
<h2 id="h-jobs">Print jobs</h2>
<div class="table-wrap"><table class="data" id="jobs"><thead><tr><th scope="col">When</th><th scope="col">Printer</th><th scope="col">Document</th><th scope="col" class="num">Pages</th><th scope="col" class="num">Cost</th><th scope="col">Status</th></tr></thead>
<tbody>${d.jobs.map((j) => html`<tr><td>${when(j.createdAt)}</td><td>${j.printerName}</td><td>${j.documentName}</td><td class="num">${num(j.pages)}</td><td class="num">${money(j.costCents)}</td><td>${statusBadge(j.status)}</td></tr>`)}
${d.jobs.length === 0 ? html`<tr><td colspan="6" class="muted">No print jobs yet.</td></tr>` : ''}</tbody></table></div>`;
    return sendAdmin(req, reply, `${u.username} · Users`, '/admin/users', body, { flash, status: form ? 400 : 200 });
  }

  app.get('/admin/users/:id', detail);

  app.post('/admin/users/:id/adjust', async (req: FastifyRequest<{ Params: { id: string }; Querystring: Query; Body: Body }>, reply) => {
    const b = req.body ?? {};
    try {
      await users.adjustBalance(Number(req.params.id), String(b.amount ?? ''), String(b.reason ?? ''), req.admin!.actor);
    } catch (e) {
      if (isSpoolError(e) && e.status < 500 && e.status !== 404) {
        return detail(req, reply, { values: b, error: `${e.message}${e.hint && e.code !== 'accounts.invalid_reason' ? ` ${e.hint}` : ''}`, field: e.code === 'accounts.invalid_reason' ? 'reason' : 'amount' });
      }
      throw e;
    }
    return reply.redirect(`/admin/users/${Number(req.params.id)}?done=adjusted`, 303);
  });

  for (const verb of ['disable', 'enable'] as const) {
    app.post(`/admin/users/:id/${verb}`, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      await users.setDisabled(Number(req.params.id), verb === 'disable', req.admin!.actor);
      return reply.redirect(`/admin/users/${Number(req.params.id)}?done=${verb}d`, 303);
    });
  }
}
