/**
 * One sync run: its summary and its log, filterable by level and text, and downloadable as plain text.
 * The download streams the log in chunks (keyset paging on the line id), so a 100,000-line log never sits
 * in memory whole.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { SpoolError } from '../../errors.ts';
import { html } from '../html/template.ts';
import { createConsoleQueries } from './read-model.ts';
import { runSummary } from './sync-summary.ts';
import { levelsFrom } from '../../store/sync-runs-repo.ts';
import { breakable, intParam, logLevelField, logLevelParam, num, qs, sendAdmin, strParam, when } from './ui.ts';

type Query = Record<string, string | undefined>;
const PAGE = 500;

export function registerSyncRuns(app: FastifyInstance, spool: App): void {
  const queries = createConsoleQueries(spool.store.db);
  const { repos } = spool.deps;

  async function requireRun(idText: string) {
    const id = Number(idText);
    const run = Number.isSafeInteger(id) ? await repos.syncRuns.get(id) : undefined;
    if (!run) throw new SpoolError('sync.run_not_found', `No sync run #${idText}.`, { status: 404, hint: 'See the recent syncs on the User/Group Sync page.' });
    return run;
  }

  app.get('/admin/options/sync/runs/:id', async (req: FastifyRequest<{ Params: { id: string }; Querystring: Query }>, reply) => {
    const run = await requireRun(req.params.id);
    const level = logLevelParam(req.query.level);
    const search = strParam(req.query.q).trim();
    const after = intParam(req.query.after, 0, 0, Number.MAX_SAFE_INTEGER) || undefined;
    const [lines, counts] = await Promise.all([queries.runLines(run.id, { levels: levelsFrom(level), search: search || undefined, limit: PAGE, afterId: after }), queries.runLineCounts(run.id)]);
    const more = lines.length === PAGE ? lines[lines.length - 1]?.id : undefined;
    const body = html`
<p><a href="/admin/options/sync">← User/Group Sync</a></p>
<h1>Sync run #${run.id}</h1>
${runSummary(run)}
<h2 id="h-log">Log</h2>
<p>${['error', 'warn', 'info'].map((l) => html`<span class="badge ${l === 'error' ? 'err' : l === 'warn' ? 'warn' : 'info'}">${num(counts[l] ?? 0)} ${l}</span> `)}
<a href="/admin/options/sync/runs/${run.id}/log.txt${qs({ level, q: search })}" download>Download the log as text</a></p>
<form method="get" action="/admin/options/sync/runs/${run.id}" class="toolbar" role="search">
${logLevelField('run-level', level)}
<div class="field"><label for="run-q">Text</label><input id="run-q" name="q" type="search" value="${search}" placeholder="user, DN or message"></div>
<div class="field"><button type="submit">Filter</button></div></form>
<div class="table-wrap"><table class="data log" id="run-log"><thead><tr><th scope="col">Time</th><th scope="col">Level</th><th scope="col">Message</th><th scope="col">Entry</th></tr></thead><tbody>
${lines.map((l) => html`<tr class="lvl-${l.level}"><td>${l.createdAt.slice(11, 19)}</td><td>${l.level}</td><td>${l.message}</td><td>${l.entry ? breakable(l.entry) : ''}</td></tr>`)}
${lines.length === 0 ? html`<tr><td colspan="4" class="muted">No log lines${level || search ? ' match the filter' : ''}.</td></tr>` : ''}</tbody></table></div>
${more ? html`<p><a href="/admin/options/sync/runs/${run.id}${qs({ level, q: search, after: more })}">Next ${PAGE} lines</a></p>` : ''}
<p class="muted">Finished ${when(run.finishedAt)}.</p>`;
    return sendAdmin(req, reply, `Sync run #${run.id}`, '/admin/options/sync', body);
  });

  app.get('/admin/options/sync/runs/:id/log.txt', async (req: FastifyRequest<{ Params: { id: string }; Querystring: Query }>, reply) => {
    const run = await requireRun(req.params.id);
    const level = logLevelParam(req.query.level);
    const search = strParam(req.query.q).trim() || undefined;
    async function* lines(): AsyncGenerator<string> {
      yield `# Spool sync run #${run.id}: ${run.status}, started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}${run.error ? ` (${run.error})` : ''}\n`;
      let after: number | undefined;
      for (;;) {
        const part = await queries.runLines(run.id, { levels: levelsFrom(level), search, limit: 5000, afterId: after });
        if (part.length === 0) return;
        yield part.map((l) => `${l.createdAt}\t${l.level.toUpperCase()}\t${l.message}${l.entry ? `\t${l.entry}` : ''}\n`).join('');
        after = part[part.length - 1]?.id;
      }
    }
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="spool-sync-${run.id}.log"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines()));
  });
}
