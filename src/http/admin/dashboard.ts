/** The console's first page: what is in Spool, how the last sync went, and what needs attention. */
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app.ts';
import { html, type SafeHtml } from '../html/template.ts';
import { createConsoleQueries } from './read-model.ts';
import { nextScheduledSync, parseStats, runSummary } from './sync-summary.ts';
import { num, sendAdmin, statusBadge, when } from './ui.ts';

const DAY_MS = 86_400_000;
/** A SCIM token Entra uses is presented every ~40 minutes; a week of silence means provisioning stopped. */
export const SCIM_TOKEN_IDLE_DAYS = 7;
export const CERT_WARN_DAYS = 30;

interface Alert {
  kind: 'error' | 'warn';
  text: SafeHtml | string;
}

export function registerDashboard(app: FastifyInstance, spool: App): void {
  const queries = createConsoleQueries(spool.store.db);

  app.get('/admin', async (req, reply) => {
    const { repos } = spool.deps;
    const now = spool.deps.clock();
    const [users, disabled, groups, printers, settings, runs, scimTokens, scim, scimRecent, lastTest] = await Promise.all([
      repos.users.count({}),
      repos.users.count({ disabled: true }),
      repos.groups.count(),
      repos.printing.listPrinters(),
      spool.services.settings.snapshot('sync.'),
      repos.syncRuns.latest({ limit: 10 }),
      spool.services.scim.tokens.list(),
      queries.scimActivity(new Date(now.getTime() - DAY_MS).toISOString()),
      spool.services.scim.log.list({ limit: 5, failuresFirst: false }),
      repos.audit.list({ limit: 1, action: 'sync.test' }),
    ]);
    const primary = String(settings['sync.primary-source']);
    const real = runs.filter((r) => !r.dryRun);
    const last = real.find((r) => r.status !== 'running');
    const running = real.find((r) => r.status === 'running');
    const next = nextScheduledSync(settings, real[0]?.startedAt, now);

    const alerts: Alert[] = [];
    if (last?.status === 'failed') alerts.push({ kind: 'error', text: html`The last sync failed ${when(last.finishedAt ?? last.startedAt)}: ${last.error ?? 'see the log'}. <a href="/admin/options/sync/runs/${last.id}">Read the sync log</a>.` });
    if (last?.status === 'stopped') alerts.push({ kind: 'warn', text: html`Delete protection stopped the sync of ${when(last.startedAt)}: ${last.error ?? 'it would have removed too many users'}. Nothing was deleted. <a href="/admin/options/sync/runs/${last.id}">Review the log</a>.` });
    const cert = latestCertificate(last ? { at: last.startedAt, stats: parseStats(last.stats) } : undefined, lastTest[0]);
    if (cert?.validTo) {
      const days = Math.floor((new Date(cert.validTo).getTime() - now.getTime()) / DAY_MS);
      if (days < 0) alerts.push({ kind: 'error', text: html`The LDAP server's certificate${cert.subject ? ` (${cert.subject})` : ''} expired ${when(cert.validTo)}. Renew it on the directory server.` });
      else if (days <= CERT_WARN_DAYS) alerts.push({ kind: 'warn', text: html`The LDAP server's certificate${cert.subject ? ` (${cert.subject})` : ''} expires in ${days} day(s), ${when(cert.validTo)}. Renew it before then, or syncs and sign-ins will stop.` });
    }
    for (const t of scimTokens.filter((t) => !t.revokedAt)) {
      const lastUse = t.lastUsedAt ?? t.createdAt;
      if (now.getTime() - new Date(lastUse).getTime() > SCIM_TOKEN_IDLE_DAYS * DAY_MS) {
        alerts.push({ kind: 'warn', text: html`The SCIM token "${t.name}" has ${t.lastUsedAt ? html`not been used since ${when(t.lastUsedAt)}` : html`never been used since it was created ${when(t.createdAt)}`}. Check the provisioning job in Microsoft Entra ID, or <a href="/admin/addons">revoke the token</a>.` });
      }
    }
    if (primary === 'ldap' && !real.length) alerts.push({ kind: 'warn', text: html`The directory has never been synchronized. <a href="/admin/options/sync">Test the settings and synchronize now</a>.` });

    const body = html`
<h1>Dashboard</h1>
<section aria-labelledby="h-alerts"><h2 id="h-alerts" class="sr-only">Alerts</h2>${alerts.length ? html`<ul class="alerts">${alerts.map((a) => html`<li class="flash ${a.kind}" role="${a.kind === 'error' ? 'alert' : 'status'}">${a.text}</li>`)}</ul>` : primary !== 'internal' ? html`<p class="muted" id="no-alerts">✓ Nothing needs your attention.</p>` : ''}</section>
<div class="cards">
  <a class="card" href="/admin/users"><div class="n">${num(users)}</div><div>users <span class="muted">(${num(disabled)} disabled)</span></div></a>
  <a class="card" href="/admin/groups"><div class="n">${num(groups)}</div><div>groups</div></a>
  <a class="card" href="/admin/printers"><div class="n">${num(printers.length)}</div><div>printers</div></a>
  <a class="card" href="/admin/options/sync"><div class="n">${primary === 'ldap' ? 'LDAP' : primary === 'scim' ? 'SCIM' : 'Internal'}</div><div>primary sync source</div></a>
</div>
${primary === 'internal' ? html`<p class="flash warn">Spool only knows internal users. <a href="/admin/options/sync">Connect your directory</a> (LDAP or Active Directory), or <a href="/admin/addons">add Microsoft Entra User Sync</a>.</p>` : ''}
<div class="columns">
<section aria-labelledby="h-sync"><h2 id="h-sync">Directory sync</h2>
${running ? html`<p>${statusBadge('running')} A sync started ${when(running.startedAt)} is running. <a href="/admin/options/sync#progress">Watch it</a>.</p>` : ''}
${last ? runSummary(last) : html`<p class="muted">No sync has run yet.</p>`}
<p>Next scheduled sync: ${next ? html`about ${when(next.at.toISOString())} <span class="muted">(${next.mode})</span>` : html`<span class="muted">none${primary === 'ldap' ? ' (schedule off)' : ' (no LDAP source)'}</span>`}</p>
<p><a href="/admin/options/sync">User/Group Sync settings</a>${last ? html` · <a href="/admin/options/sync/runs/${last.id}">Last sync log</a>` : ''}</p>
</section>
<section aria-labelledby="h-scim"><h2 id="h-scim">Microsoft Entra provisioning (SCIM)</h2>
<p>${num(scim.requests)} request(s) in the last 24 hours${scim.failures ? html`, <span class="err">${num(scim.failures)} failed</span>` : ''}. Last request: ${when(scim.lastAt)}.</p>
${scimRecent.length ? html`<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col">Operation</th><th scope="col">Result</th></tr></thead><tbody>
${scimRecent.map((r) => html`<tr><td>${when(r.createdAt)}</td><td>${r.operation} ${r.resourceType ?? ''} <span class="muted">${r.summary ?? ''}</span></td><td>${r.ok ? statusBadge('ok') : html`${statusBadge(String(r.status))} ${r.error ?? ''}`}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">No provisioning requests yet.</p>`}
<p><a href="/admin/addons">Add-ons: Microsoft Entra User Sync</a></p>
</section></div>`;
    return sendAdmin(req, reply, 'Dashboard', '/admin', body);
  });
}

/** The newest certificate seen: by the last sync run or by the last "Test settings" (recorded in the audit log). */
function latestCertificate(run: { at: string; stats: ReturnType<typeof parseStats> } | undefined, test: { createdAt: string; details: string } | undefined): { subject?: string; validTo?: string } | undefined {
  let fromTest: { subject?: string; validTo?: string } | undefined;
  try {
    fromTest = test ? ((JSON.parse(test.details) as { certificate?: { subject?: string; validTo?: string } }).certificate ?? undefined) : undefined;
  } catch {
    fromTest = undefined;
  }
  const fromRun = run?.stats.certificate ?? undefined;
  if (fromRun && fromTest) return run!.at >= test!.createdAt ? fromRun : fromTest;
  return fromRun ?? fromTest;
}
