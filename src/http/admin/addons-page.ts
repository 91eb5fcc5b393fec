/**
 * Add-ons > Microsoft Entra User Sync: the tenant URL and secret token an admin pastes into the
 * provisioning tab of the Entra enterprise application, token rotation, and the provisioning log.
 * A new token is shown exactly once: it is handed from the POST to the next GET through a short-lived
 * in-memory slot bound to the admin's session, never put in a URL, a form value or the database.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { html } from '../html/template.ts';
import { csrfInput, flashFrom, sendAdmin, statusBadge, when } from './ui.ts';

const SHOW_MS = 5 * 60_000;
const DONE = { revoked: 'Token revoked: Entra can no longer provision with it.', removed: 'Microsoft Entra User Sync removed: every SCIM token is revoked.' };

export function registerAddonsPage(app: FastifyInstance, spool: App): void {
  const { scim } = spool.services;
  const pending = new Map<string, { token: string; session: string; expires: number }>();

  function handOver(req: FastifyRequest, token: string): string {
    const now = Date.now();
    for (const [k, v] of pending) if (v.expires < now) pending.delete(k);
    const id = crypto.randomBytes(12).toString('base64url');
    pending.set(id, { token, session: req.admin!.csrfToken, expires: now + SHOW_MS });
    return id;
  }
  function takeOver(req: FastifyRequest, id: unknown): string | undefined {
    if (typeof id !== 'string') return undefined;
    const slot = pending.get(id);
    pending.delete(id);
    return slot && slot.session === req.admin!.csrfToken && slot.expires > Date.now() ? slot.token : undefined;
  }

  app.get('/admin/addons', async (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply: FastifyReply) => {
    const tokens = await scim.tokens.list();
    const active = tokens.filter((t) => !t.revokedAt);
    const newToken = takeOver(req, req.query.show);
    const url = await scim.runtime.tenantUrl(req);
    const failuresOnly = req.query.failures === '1';
    const [recent, shownLog] = await Promise.all([scim.log.list({ limit: 10, failuresFirst: false }), scim.log.list({ limit: 100, failuresOnly: failuresOnly })]);
    const installed = active.length > 0;
    const body = html`
<h1>Add-ons</h1>
<section class="addon" aria-labelledby="h-entra">
<h2 id="h-entra">Microsoft Entra User Sync ${installed ? html`<span class="badge ok">added</span>` : ''}</h2>
<p>Microsoft Entra ID provisions users and groups into Spool over SCIM 2.0: paste the tenant URL and secret token below into the <strong>Provisioning</strong> tab of your Entra enterprise application, click <strong>Test connection</strong>, then <strong>Save</strong>.</p>
${!installed ? html`<form method="post" action="/admin/addons/entra/add">${csrfInput(req)}<div class="actions"><button type="submit">Add Microsoft Entra User Sync</button></div></form>` : html`
<div class="field"><label for="tenant-url">Tenant URL</label><div class="copy-row"><input id="tenant-url" type="text" readonly value="${url}"><button type="button" class="secondary" data-copy="tenant-url">Copy</button></div></div>
${newToken ? html`<div class="field"><label for="secret-token">Secret token</label>
<p class="flash warn" role="status" id="token-once">Copy the token now: Spool keeps only a hash of it and will not show it again.</p>
<div class="copy-row"><input id="secret-token" type="text" readonly value="${newToken}" autocomplete="off" spellcheck="false" aria-describedby="token-once"><button type="button" class="secondary" data-copy="secret-token">Copy</button></div></div>` : html`
<p><strong>Secret token:</strong> set <span class="muted">(shown only once, when created; regenerate to get a new one)</span>.</p>`}
<div class="actions">
<form method="post" action="/admin/addons/entra/regenerate" data-confirm="Regenerate the token? The current token stops working at once: paste the new one into Entra.">${csrfInput(req)}<button type="submit" class="secondary">Regenerate token</button></form>
<form method="post" action="/admin/addons/entra/add">${csrfInput(req)}<button type="submit" class="secondary">Add a second token (rotation)</button></form>
<form method="post" action="/admin/addons/entra/remove" data-confirm="Remove Microsoft Entra User Sync? Every SCIM token is revoked and provisioning stops.">${csrfInput(req)}<button type="submit" class="danger">Remove add-on</button></form>
</div>`}
${tokens.length ? html`<h3>Tokens</h3>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${tokens.map((t) => html`<tr><td>${t.name}</td><td><code>${t.tokenPrefix}…</code></td><td>${when(t.createdAt)}</td><td>${when(t.lastUsedAt)}</td><td>${t.revokedAt ? html`revoked ${when(t.revokedAt)}` : html`<span class="badge ok">active</span>`}</td>
<td>${t.revokedAt ? '' : html`<form method="post" action="/admin/addons/entra/tokens/${t.id}/revoke" class="inline-form" data-confirm="Revoke this token? Entra can no longer provision with it.">${csrfInput(req)}<button type="submit" class="link">Revoke<span class="sr-only"> ${t.name}</span></button></form>`}</td></tr>`)}</tbody></table></div>` : ''}
</section>
<section aria-labelledby="h-recent"><h2 id="h-recent">Recent requests</h2>
<p class="help">Requests that changed something or failed (Entra's many reads are not logged).</p>
${recent.length ? html`<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col">Request</th><th scope="col">Result</th><th scope="col" class="num">Duration</th></tr></thead><tbody>
${recent.map((r) => html`<tr><td>${when(r.createdAt)}</td><td><code>${r.method} ${r.path}</code></td><td>${statusBadge(String(r.status))}</td><td class="num">${r.durationMs} ms</td></tr>`)}</tbody></table></div>` : html`<p class="muted">Entra has not called Spool yet.</p>`}
</section>
<section aria-labelledby="h-log"><h2 id="h-log">Provisioning log <span class="muted">(failures first)</span></h2>
<p>${failuresOnly ? html`<a href="/admin/addons#h-log">Show all</a>` : html`<a href="/admin/addons?failures=1#h-log">Show failures only</a>`}</p>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col">Operation</th><th scope="col">Resource</th><th scope="col">Result</th><th scope="col">Details</th></tr></thead><tbody>
${shownLog.map((r) => html`<tr class="${r.ok ? '' : 'row-err'}"><td>${when(r.createdAt)}</td><td>${r.operation}</td><td>${r.resourceType ?? ''} ${r.resourceId ? html`<code>${r.resourceId}</code>` : ''}</td><td>${r.ok ? statusBadge('ok') : statusBadge(String(r.status))}</td><td>${r.error ?? r.summary ?? ''}</td></tr>`)}
${shownLog.length === 0 ? html`<tr><td colspan="5" class="muted">Nothing logged${failuresOnly ? ': no failures' : ''}.</td></tr>` : ''}</tbody></table></div>
</section>`;
    return sendAdmin(req, reply, 'Add-ons', '/admin/addons', body, { flash: flashFrom(req.query, DONE) });
  });

  app.post('/admin/addons/entra/add', async (req, reply) => {
    const { token } = await scim.tokens.create('Microsoft Entra ID', req.admin!.actor);
    return reply.redirect(`/admin/addons?show=${handOver(req, token)}`, 303);
  });

  app.post('/admin/addons/entra/regenerate', async (req, reply) => {
    const { id, token } = await scim.tokens.create('Microsoft Entra ID', req.admin!.actor);
    for (const t of await scim.tokens.list()) if (!t.revokedAt && t.id !== id) await scim.tokens.revoke(t.id, req.admin!.actor);
    return reply.redirect(`/admin/addons?show=${handOver(req, token)}`, 303);
  });

  app.post('/admin/addons/entra/remove', async (req, reply) => {
    for (const t of await scim.tokens.list()) if (!t.revokedAt) await scim.tokens.revoke(t.id, req.admin!.actor);
    return reply.redirect('/admin/addons?done=removed', 303);
  });

  app.post('/admin/addons/entra/tokens/:id/revoke', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    await scim.tokens.revoke(Number(req.params.id), req.admin!.actor);
    return reply.redirect('/admin/addons?done=revoked', 303);
  });
}
