/**
 * Groups: paged list and detail (members paged). Per group: the initial account settings of new members
 * (initial credit, restricted) and a scheduled quota (an amount per day, week or month).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { QUOTA_PERIODS } from '../../domain/groups.ts';
import { parseAmountToCents } from '../../domain/money.ts';
import { isSpoolError } from '../../errors.ts';
import type { GroupPolicyInput } from '../../services/groups-service.ts';
import { html } from '../html/template.ts';
import { breakable, csrfInput, sourceLabel, flashFrom, intParam, money, num, pager, qs, selectField, sendAdmin, strParam, textField, when } from './ui.ts';

type Query = Record<string, string | undefined>;
type Body = Record<string, string | undefined>;
const PAGE = 50;

/** Parses the policy form; every field is checked before anything is saved. */
export function parseGroupPolicyForm(b: Body): { input: GroupPolicyInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const amount = (field: string, allowNegative: boolean): string | null => {
    const v = (b[field] ?? '').trim();
    if (v === '') return null;
    try {
      const cents = parseAmountToCents(v);
      if (!allowNegative && cents < 0) errors[field] = 'Must not be negative.';
    } catch (e) {
      errors[field] = isSpoolError(e) ? `${e.message} ${e.hint ?? ''}`.trim() : String(e);
    }
    return v;
  };
  const initialCredit = amount('initialCredit', false);
  const quota = amount('quota', false);
  const period = (b.quotaPeriod ?? '').trim();
  if (period !== '' && !(QUOTA_PERIODS as readonly string[]).includes(period)) errors.quotaPeriod = 'Choose day, week or month.';
  if (quota !== null && period === '') errors.quotaPeriod = 'Choose how often the quota is granted.';
  if (quota === null && period !== '') errors.quota = 'Enter the amount granted each period (or choose "No quota").';
  const restricted = b.initialRestricted === 'true' ? true : b.initialRestricted === 'false' ? false : null;
  return { input: { initialCredit, initialRestricted: restricted, quota, quotaPeriod: period || null }, errors };
}

export function registerGroupsPages(app: FastifyInstance, spool: App): void {
  const { groups } = spool.services;

  app.get('/admin/groups', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const search = strParam(req.query.q).trim();
    const offset = intParam(req.query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const r = await groups.list({ search: search || undefined, limit: PAGE, offset });
    const href = (o: number): string => `/admin/groups${qs({ q: search, offset: o || undefined })}`;
    const body = html`
<h1>Groups</h1>
<form method="get" action="/admin/groups" class="toolbar" role="search">
  <div class="field"><label for="group-search">Search</label><input id="group-search" name="q" type="search" value="${search}" placeholder="group name"></div>
  <div class="field"><button type="submit">Search</button></div>
</form>
${pager({ total: r.total, limit: PAGE, offset, href, noun: 'groups' })}
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Source</th><th scope="col" class="num">Members</th><th scope="col" class="num">Initial credit</th><th scope="col">New users</th><th scope="col">Quota</th></tr></thead>
<tbody>${r.items.map((g) => html`<tr><td><a href="/admin/groups/${g.id}">${g.name}</a></td><td>${sourceLabel(g.source)}</td><td class="num">${num(g.memberCount)}</td><td class="num">${money(g.initialCreditCents)}</td>
<td>${g.initialRestricted === null ? html`<span class="muted">default</span>` : g.initialRestricted ? 'restricted' : 'unrestricted'}</td><td>${g.quotaCents === null ? '' : `${money(g.quotaCents)} per ${g.quotaPeriod ?? '?'}`}</td></tr>`)}
${r.items.length === 0 ? html`<tr><td colspan="6" class="muted">No groups${search ? ' match' : ' yet: they arrive with the directory sync or SCIM'}.</td></tr>` : ''}</tbody></table></div>`;
    return sendAdmin(req, reply, 'Groups', '/admin/groups', body);
  });

  async function detail(req: FastifyRequest<{ Params: { id: string }; Querystring: Query }>, reply: FastifyReply, form?: { values: Body; errors: Record<string, string> }): Promise<FastifyReply> {
    const id = Number(req.params.id);
    const offset = intParam(req.query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const d = await groups.show(Number.isSafeInteger(id) ? id : -1, { limit: PAGE, offset });
    const g = d.group;
    const v = form?.values ?? {
      initialCredit: money(g.initialCreditCents),
      initialRestricted: g.initialRestricted === null ? '' : g.initialRestricted === 1 ? 'true' : 'false',
      quota: money(g.quotaCents),
      quotaPeriod: g.quotaPeriod ?? '',
    };
    const err = form?.errors ?? {};
    const body = html`
<p><a href="/admin/groups">← Groups</a></p>
<h1>${g.name}</h1>
<p class="muted">${sourceLabel(g.source)}${g.ldapDn ? html` · ${breakable(g.ldapDn)}` : ''} · ${num(d.memberCount)} members · updated ${when(g.updatedAt)}</p>
<div class="columns">
<section aria-labelledby="h-policy"><h2 id="h-policy">Account policy</h2>
<form method="post" action="/admin/groups/${g.id}/policy" class="stack" novalidate>
  ${csrfInput(req)}
  <fieldset><legend>New users in this group</legend>
  ${textField({ name: 'initialCredit', label: 'Initial credit', help: 'Balance a new member starts with. Empty: the global default. A user in several groups gets the largest.', value: v.initialCredit, error: err.initialCredit, extra: html` inputmode="decimal"` })}
  ${selectField({ name: 'initialRestricted', label: 'Restricted', help: 'Restricted users cannot print without credit.', value: v.initialRestricted ?? '', error: err.initialRestricted, options: [['', 'Global default'], ['true', 'Restricted'], ['false', 'Unrestricted']] })}
  </fieldset>
  <fieldset><legend>Scheduled quota</legend>
  ${textField({ name: 'quota', label: 'Amount', help: 'Credit added to each enabled member once per period.', value: v.quota, error: err.quota, extra: html` inputmode="decimal"` })}
  ${selectField({ name: 'quotaPeriod', label: 'Every', value: v.quotaPeriod ?? '', error: err.quotaPeriod, options: [['', 'No quota'], ['day', 'Day'], ['week', 'Week (Monday)'], ['month', 'Month (1st)']] })}
  ${g.quotaLastRunAt ? html`<p class="help">Last granted ${when(g.quotaLastRunAt)}.</p>` : ''}
  </fieldset>
  <div class="actions"><button type="submit">Save policy</button></div>
</form></section>
<section aria-labelledby="h-members"><h2 id="h-members">Members</h2>
${pager({ total: d.memberCount, limit: PAGE, offset, href: (o) => `/admin/groups/${g.id}${qs({ offset: o || undefined })}`, noun: 'members' })}
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Username</th><th scope="col">Full name</th><th scope="col">Membership</th></tr></thead>
<tbody>${d.members.map((m) => html`<tr><td><a href="/admin/users/${m.id}">${m.username}</a></td><td>${m.fullName}</td><td>${m.direct ? 'direct' : 'nested'}</td></tr>`)}
${d.members.length === 0 ? html`<tr><td colspan="3" class="muted">No members.</td></tr>` : ''}</tbody></table></div>
</section></div>`;
    const flash = form ? { kind: 'error' as const, text: 'Please fix the fields marked below; nothing was saved.' } : flashFrom(req.query, { saved: 'Group policy saved.' });
    return sendAdmin(req, reply, `${g.name} · Groups`, '/admin/groups', body, { flash, status: form ? 400 : 200 });
  }

  app.get('/admin/groups/:id', detail);

  app.post('/admin/groups/:id/policy', async (req: FastifyRequest<{ Params: { id: string }; Querystring: Query; Body: Body }>, reply) => {
    const b = req.body ?? {};
    const { input, errors } = parseGroupPolicyForm(b);
    if (Object.keys(errors).length) return detail(req, reply, { values: b, errors });
    await groups.setPolicy(Number(req.params.id), input, req.admin!.actor);
    return reply.redirect(`/admin/groups/${Number(req.params.id)}?done=saved`, 303);
  });
}
