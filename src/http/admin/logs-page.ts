/** Logs: the application log (sync runs, sync log lines, SCIM requests) and the audit log of admin actions. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { html, type SafeHtml } from '../html/template.ts';
import { createConsoleQueries } from './read-model.ts';
import { levelsFrom } from '../../store/sync-runs-repo.ts';
import { breakable, intParam, logLevelField, logLevelParam, qs, sendAdmin, statusBadge, strParam, when } from './ui.ts';

type Query = Record<string, string | undefined>;
const PAGE = 100;

/** Audit details are JSON; show them as "key: value" pairs (lists joined, nested counts flattened one level). */
export function details(json: string): string {
  const show = (x: unknown): string =>
    Array.isArray(x) ? x.map(String).join(', ')
    : x && typeof x === 'object' ? Object.entries(x as Record<string, unknown>).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')
    : String(x);
  try {
    const v = JSON.parse(json) as Record<string, unknown>;
    return Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join('; ');
  } catch {
    return json;
  }
}

export function registerLogsPage(app: FastifyInstance, spool: App): void {
  const queries = createConsoleQueries(spool.store.db);
  const { repos } = spool.deps;

  app.get('/admin/logs', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const tab = req.query.tab === 'audit' ? 'audit' : req.query.tab === 'scim' ? 'scim' : 'sync';
    const before = intParam(req.query.before, 0, 0, Number.MAX_SAFE_INTEGER) || undefined;
    const tabs = html`<nav class="tabs" aria-label="Logs">${(
      [['sync', 'Sync events'], ['scim', 'SCIM requests'], ['audit', 'Audit log']] as const
    ).map(([t, l]) => html`<a href="/admin/logs?tab=${t}"${t === tab ? html` aria-current="page"` : ''}>${l}</a>`)}</nav>`;
    let body: SafeHtml;
    if (tab === 'sync') {
      const level = logLevelParam(req.query.level);
      const search = strParam(req.query.q).trim();
      const [lines, runs] = await Promise.all([queries.syncLog({ levels: levelsFrom(level), search: search || undefined, limit: PAGE, beforeId: before }), repos.syncRuns.latest({ limit: 10 })]);
      const older = lines.length === PAGE ? lines[lines.length - 1]?.id : undefined;
      body = html`
<h2>Recent sync runs</h2>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Run</th><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">Result</th><th scope="col">Message</th></tr></thead><tbody>
${runs.map((r) => html`<tr><td><a href="/admin/options/sync/runs/${r.id}">#${r.id}</a></td><td>${when(r.startedAt)}</td><td>${r.trigger}${r.dryRun ? ' (dry run)' : ''}</td><td>${statusBadge(r.status)}</td><td>${r.error ?? ''}</td></tr>`)}
${runs.length === 0 ? html`<tr><td colspan="5" class="muted">No sync has run yet.</td></tr>` : ''}</tbody></table></div>
<h2>Sync log lines</h2>
<form method="get" action="/admin/logs" class="toolbar" role="search"><input type="hidden" name="tab" value="sync">
${logLevelField('log-level', level)}
<div class="field"><label for="log-q">Text</label><input id="log-q" name="q" type="search" value="${search}" placeholder="user, DN or message"></div>
<div class="field"><button type="submit">Filter</button></div></form>
<div class="table-wrap"><table class="data log"><thead><tr><th scope="col">When</th><th scope="col">Run</th><th scope="col">Level</th><th scope="col">Message</th><th scope="col">Entry</th></tr></thead><tbody>
${lines.map((l) => html`<tr class="lvl-${l.level}"><td>${when(l.createdAt)}</td><td><a href="/admin/options/sync/runs/${l.runId}">#${l.runId}</a></td><td>${l.level}</td><td>${l.message}</td><td>${l.entry ? breakable(l.entry) : ''}</td></tr>`)}
${lines.length === 0 ? html`<tr><td colspan="5" class="muted">No log lines${level || search ? ' match' : ''}.</td></tr>` : ''}</tbody></table></div>
${older ? html`<p><a href="/admin/logs${qs({ tab, level, q: search, before: older })}">Older lines</a></p>` : ''}`;
    } else if (tab === 'scim') {
      const rows = await queries.scimLog({ limit: PAGE, beforeId: before });
      const older = rows.length === PAGE ? rows[rows.length - 1]?.id : undefined;
      body = html`
<h2>SCIM requests</h2>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col">Request</th><th scope="col">Operation</th><th scope="col">Result</th><th scope="col" class="num">Duration</th><th scope="col">Details</th></tr></thead><tbody>
${rows.map((r) => html`<tr class="${r.ok ? '' : 'row-err'}"><td>${when(r.createdAt)}</td><td><code>${r.method} ${r.path}</code></td><td>${r.operation} ${r.resourceType ?? ''}</td><td>${statusBadge(r.ok ? 'ok' : String(r.status))}</td><td class="num">${r.durationMs} ms</td><td>${r.error ?? r.summary ?? ''}</td></tr>`)}
${rows.length === 0 ? html`<tr><td colspan="6" class="muted">No SCIM requests logged.</td></tr>` : ''}</tbody></table></div>
${older ? html`<p><a href="/admin/logs${qs({ tab, before: older })}">Older requests</a></p>` : ''}`;
    } else {
      const action = strParam(req.query.action, 100).trim();
      const rows = await repos.audit.list({ limit: PAGE, beforeId: before, action: action || undefined });
      const older = rows.length === PAGE ? rows[rows.length - 1]?.id : undefined;
      body = html`
<h2>Audit log</h2>
<form method="get" action="/admin/logs" class="toolbar" role="search"><input type="hidden" name="tab" value="audit">
<div class="field"><label for="audit-action">Action</label><input id="audit-action" name="action" type="search" value="${action}" placeholder="e.g. config.set-many"></div>
<div class="field"><button type="submit">Filter</button></div></form>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Details</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${when(r.createdAt)}</td><td>${r.actor}</td><td><a href="/admin/logs${qs({ tab, action: r.action })}">${r.action}</a></td><td>${r.target ?? ''}</td><td class="details">${details(r.details)}</td></tr>`)}
${rows.length === 0 ? html`<tr><td colspan="5" class="muted">Nothing recorded${action ? ' for this action' : ''}.</td></tr>` : ''}</tbody></table></div>
${older ? html`<p><a href="/admin/logs${qs({ tab, action, before: older })}">Older entries</a></p>` : ''}`;
    }
    return sendAdmin(req, reply, 'Logs', '/admin/logs', html`<h1>Logs</h1>${tabs}${body}`);
  });
}
