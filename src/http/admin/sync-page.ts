/**
 * Options > User/Group Sync: every LDAP sync setting in one form (Apply saves all or nothing, with an
 * inline error per field), Test settings (a readable report of the values on the page, saving nothing),
 * Synchronize now (live progress), and the recent runs with their logs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import type { SourceName } from '../../domain/sync/types.ts';
import { isSpoolError } from '../../errors.ts';
import type { PlannedChanges } from '../../services/sync/describe-plan.ts';
import type { SyncProgress, SyncRunResult, TestReport } from '../../services/sync/index.ts';
import { enabledSourceNames, ldapSourceFromSettings } from '../../services/sync/ldap-source.ts';
import { testLdapSettings } from '../../services/sync/test-settings.ts';
import { html, raw, type SafeHtml } from '../html/template.ts';
import { globalOptions, ldapSource, presetsAttribute, type SyncFormState } from './sync-fields.ts';
import { changedSettings, errorsFromSetMany, fieldInMessage, formFromSettings, mergedSettings, parseSyncForm, type FieldErrors, type FormValues, type Prefix } from './sync-form.ts';
import { renderTestReport } from './sync-report.ts';
import { countsText, type RunStats } from './sync-summary.ts';
import { checkbox, csrfInput, duration, flashFrom, num, radioGroup, sendAdmin, statusBadge, when, type Flash } from './ui.ts';

type Body = Record<string, unknown>;

interface PageState {
  values: FormValues;
  errors: FieldErrors;
  warnings: string[];
  reports?: TestReport[] | undefined;
  unsaved?: boolean;
  dryRun?: SyncRunResult | undefined;
  flash?: Flash;
  status?: number;
}

const problem = (e: unknown): string => (isSpoolError(e) ? `${e.message}${e.hint ? ` ${e.hint}` : ''}` : e instanceof Error ? e.message : String(e));

export function registerSyncPage(app: FastifyInstance, spool: App): void {
  const { settings, sync } = spool.services;
  const { repos } = spool.deps;

  async function storedState(): Promise<{ stored: Record<string, unknown>; passwordSet: Record<Prefix, boolean> }> {
    const [stored, pw1, pw2] = await Promise.all([settings.snapshot(), settings.describe('ldap.bind-password'), settings.describe('ldap2.bind-password')]);
    return { stored, passwordSet: { ldap: pw1.value === 'set', ldap2: pw2.value === 'set' } };
  }

  async function render(req: FastifyRequest, reply: FastifyReply, state: PageState): Promise<FastifyReply> {
    const [{ stored, passwordSet }, runs, status] = await Promise.all([storedState(), sync.runs(8), sync.status()]);
    const shownType = { ldap: state.values['ldap.server-type'] ?? String(stored['ldap.server-type']), ldap2: state.values['ldap2.server-type'] ?? String(stored['ldap2.server-type']) };
    const form: SyncFormState = { values: state.values, errors: state.errors, passwordSet, shownType };
    const v = state.values;
    const errorCount = Object.keys(state.errors).length;
    const body = html`
<h1>User/Group Sync</h1>
<p>Connect Spool to your directory: choose the source, enter the server and the bind account, <strong>Apply</strong>, then <strong>Test settings</strong> and <strong>Synchronize now</strong>.</p>
${state.warnings.map((w) => html`<p class="flash warn" role="status">${w}</p>`)}
${errorCount ? html`<div class="flash error" role="alert" id="form-errors"><p><strong>${errorCount} field(s) need attention; nothing was saved.</strong></p><ul>${Object.entries(state.errors).map(([k, e]) => html`<li><a href="#f-${k.replace(/[^a-zA-Z0-9]+/g, '-')}">${e}</a></li>`)}</ul></div>` : ''}
${(state.reports ?? []).map((r) => renderTestReport(r, { unsaved: Boolean(state.unsaved) }))}
${state.dryRun ? dryRunReport(state.dryRun) : ''}
${progressPanel(status.running, status.progress)}
<form method="post" action="/admin/options/sync" id="sync-form" novalidate${presetsAttribute()}>
${csrfInput(req)}
<fieldset><legend>Sync source</legend>
${radioGroup({ name: 'sync.primary-source', label: 'Primary sync source', value: v['sync.primary-source'] ?? 'internal', error: state.errors['sync.primary-source'], options: [['internal', 'Internal users only'], ['ldap', 'LDAP (Active Directory, Azure AD DS, OpenLDAP, eDirectory)'], ['scim', 'Microsoft Entra ID over SCIM (see Add-ons)']] })}
${radioGroup({ name: 'sync.secondary-source', label: 'Secondary sync source', help: 'A second LDAP directory; a user found in both comes from the primary.', value: v['sync.secondary-source'] ?? 'none', error: state.errors['sync.secondary-source'], options: [['none', 'None'], ['ldap', 'LDAP']] })}
</fieldset>
<section class="source" aria-labelledby="h-primary"><h2 id="h-primary">Primary LDAP source</h2>${ldapSource('ldap', form)}</section>
<details class="source"${v['sync.secondary-source'] === 'ldap' || Object.keys(state.errors).some((k) => k.startsWith('ldap2.')) ? raw(' open') : ''}><summary>Secondary LDAP source</summary>${ldapSource('ldap2', form)}</details>
${globalOptions(form)}
<div class="sticky-actions"><div class="actions">
<button type="submit">Apply</button>
<button type="submit" class="secondary" formaction="/admin/options/sync/test">Test settings</button>
<a class="button secondary" href="#sync-now">Synchronize now…</a>
<span class="muted" data-dirty-note hidden>You have changes that are not applied yet.</span>
</div></div>
</form>
<section aria-labelledby="h-sync-now" id="sync-now"><h2 id="h-sync-now">Synchronize now</h2>
<p>Synchronizes the applied settings now. The nightly and incremental syncs run on their own (see Schedule).</p>
<form method="post" action="/admin/options/sync/run" class="stack">
${csrfInput(req)}
${checkbox({ name: 'dryRun', label: 'Dry run: show what would change, write nothing', checked: false })}
${checkbox({ name: 'allowMassDelete', label: 'Allow it to disable or delete more users than the delete protection permits', checked: false })}
<div class="actions"><button type="submit"${status.running ? raw(' disabled') : ''}>Synchronize now</button>${status.running ? html`<span class="muted">A sync is running.</span>` : ''}</div>
</form></section>
<section aria-labelledby="h-runs"><h2 id="h-runs">Recent syncs</h2>
<div class="table-wrap"><table class="data" id="runs"><thead><tr><th scope="col">Run</th><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">Result</th><th scope="col">Users</th><th scope="col">Groups</th><th scope="col" class="num">Duration</th></tr></thead><tbody>
${runs.map((r) => {
  const s = r.stats as RunStats;
  return html`<tr><td><a href="/admin/options/sync/runs/${r.id}">#${r.id}</a></td><td>${when(r.startedAt)}</td><td>${r.trigger} <span class="muted">(${r.mode})</span></td><td>${statusBadge(r.status)}</td><td>${r.status === 'running' ? '' : countsText(s.users)}</td><td>${r.status === 'running' ? '' : countsText(s.groups)}</td><td class="num">${duration(r.durationMs)}</td></tr>`;
})}
${runs.length === 0 ? html`<tr><td colspan="7" class="muted">No sync has run yet.</td></tr>` : ''}</tbody></table></div>
<p><a href="/admin/logs?tab=sync">All sync log lines</a></p></section>`;
    return sendAdmin(req, reply, 'User/Group Sync', '/admin/options/sync', body, { flash: state.flash, status: state.status });
  }

  app.get('/admin/options/sync', async (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
    const { stored } = await storedState();
    return render(req, reply, {
      values: formFromSettings(stored),
      errors: {},
      warnings: [],
      flash: flashFrom(req.query, { applied: 'Settings applied. Test them, then synchronize now.', started: 'Sync started: its progress shows below.', finished: 'The sync has finished.' }),
    });
  });

  /** Parses and checks the form, the way the sync will read it; nothing is saved here. */
  async function check(req: FastifyRequest<{ Body: Body }>) {
    const { stored, passwordSet } = await storedState();
    const parsed = parseSyncForm(req.body ?? {}, stored, passwordSet);
    let merged: Record<string, unknown> | undefined;
    if (Object.keys(parsed.errors).length === 0) {
      merged = mergedSettings(stored, parsed.patch);
      // Whatever the sync itself would refuse (schema values, an unreadable CA file) is refused now.
      for (const name of enabledSourceNames(merged)) {
        const prefix: Prefix = name === 'primary' ? 'ldap' : 'ldap2';
        try {
          await ldapSourceFromSettings(merged, name);
        } catch (e) {
          parsed.errors[fieldInMessage(problem(e), prefix) ?? `${prefix}.server-type`] = problem(e);
        }
      }
    }
    // Fields the form did not send (e.g. a closed section) show their saved values again.
    return { ...parsed, merged, values: { ...formFromSettings(stored), ...parsed.values }, ok: Object.keys(parsed.errors).length === 0 };
  }

  app.post('/admin/options/sync', async (req: FastifyRequest<{ Body: Body }>, reply) => {
    const c = await check(req);
    if (c.ok) {
      // Only what the admin changed is saved (and audited); a password field left empty is no change.
      const { stored } = await storedState();
      const changed = changedSettings(c.patch, c.merged ?? stored, stored);
      if (Object.keys(changed).length === 0) return render(req, reply, { values: c.values, errors: {}, warnings: c.warnings, flash: { kind: 'ok', text: 'Nothing changed.' } });
      try {
        await settings.setMany(changed, req.admin!.actor);
        if (c.warnings.length) return render(req, reply, { values: c.values, errors: {}, warnings: c.warnings, flash: { kind: 'ok', text: 'Settings applied.' } });
        return reply.redirect('/admin/options/sync?done=applied', 303);
      } catch (e) {
        if (!(isSpoolError(e) && e.code === 'config.invalid_values')) throw e;
        Object.assign(c.errors, errorsFromSetMany(e.details));
      }
    }
    return render(req, reply, { values: c.values, errors: c.errors, warnings: c.warnings, status: 400 });
  });

  /** Tests the values on the page (applied or not) against the directory; saves nothing, changes nothing. */
  app.post('/admin/options/sync/test', async (req: FastifyRequest<{ Body: Body }>, reply) => {
    const c = await check(req);
    if (!c.ok || !c.merged) return render(req, reply, { values: c.values, errors: c.errors, warnings: c.warnings, status: 400 });
    const names: SourceName[] = enabledSourceNames(c.merged);
    if (names.length === 0) names.push('primary');
    const reports: TestReport[] = [];
    for (const name of names) reports.push(await testLdapSettings(c.merged, name, spool.deps.clock()));
    const { stored } = await storedState();
    const unsaved = Object.keys(changedSettings(c.patch, c.merged, stored)).length > 0;
    const ok = reports.every((r) => r.ok);
    const cert = reports.find((r) => r.certificate)?.certificate;
    await repos.audit.record(req.admin!.actor, 'sync.test', names.join(','), { ok, ...(cert ? { certificate: { subject: cert.subject, validTo: cert.validTo } } : {}) }, new Date().toISOString());
    const flash: Flash = ok
      ? { kind: 'ok', text: unsaved ? 'The test passed. These values are not applied yet: click Apply to save them.' : 'The test passed: synchronize now when you are ready.' }
      : { kind: 'error', text: 'The test found problems: see each failed check and its fix below. Nothing was saved.' };
    return render(req, reply, { values: c.values, errors: {}, warnings: c.warnings, reports, unsaved, flash });
  });

  app.post('/admin/options/sync/run', async (req: FastifyRequest<{ Body: Body }>, reply) => {
    const b = req.body ?? {};
    const flag = (k: string): boolean => String(Array.isArray(b[k]) ? (b[k] as unknown[]).at(-1) : b[k]) === 'true';
    const opts = { trigger: 'manual' as const, actor: req.admin!.actor, allowMassDelete: flag('allowMassDelete') };
    const failed = async (e: unknown): Promise<FastifyReply> => {
      if (!isSpoolError(e) || e.status >= 500) throw e;
      const { stored } = await storedState();
      return render(req, reply, { values: formFromSettings(stored), errors: {}, warnings: [], flash: { kind: 'error', text: problem(e) }, status: e.status });
    };
    if (flag('dryRun')) {
      // A dry run writes nothing and has no run row: wait for it and show what would change.
      try {
        const result = await sync.run({ ...opts, dryRun: true });
        const { stored } = await storedState();
        return render(req, reply, { values: formFromSettings(stored), errors: {}, warnings: [], dryRun: result, flash: { kind: result.status === 'failed' ? 'error' : 'ok', text: 'Dry run finished: nothing was written.' } });
      } catch (e) {
        return failed(e);
      }
    }
    // A real sync runs on in the background; the page follows it through the sync status.
    let onStarted: (id: number) => void = () => undefined;
    const started = new Promise<number>((resolve) => (onStarted = resolve));
    const finished = sync.run({ ...opts, onProgress: (p: SyncProgress) => (p.runId ? onStarted(p.runId) : undefined) });
    finished.catch((e: unknown) => req.log.error({ err: e }, 'sync from the console failed'));
    try {
      const runId = await Promise.race([started, finished.then((r) => r.runId)]);
      return reply.redirect(`/admin/options/sync?done=started${runId ? `&run=${runId}` : ''}#progress`, 303);
    } catch (e) {
      return failed(e);
    }
  });
}

function progressPanel(running: boolean, p: SyncProgress | null): SafeHtml {
  if (!running) return html`<div id="progress" hidden></div>`;
  const text = p
    ? `Phase: ${p.phase}${p.source ? ` (${p.source} directory)` : ''}. ${num(p.usersRead)} users and ${num(p.groupsRead)} groups read.${p.toApply ? ` ${num(p.applied)} of ${num(p.toApply)} changes applied.` : ''}`
    : 'Starting…';
  return html`<section id="progress" class="report" aria-labelledby="h-progress" data-sync-progress data-status-url="/api/v1/sync/status">
<h2 id="h-progress">Synchronizing…</h2>
<div class="progress" role="progressbar" aria-label="Sync in progress"><span></span></div>
<p role="status" aria-live="polite" data-progress-text>${text}</p>
${p?.runId ? html`<p><a href="/admin/options/sync/runs/${p.runId}">Open the log of this run</a></p>` : ''}
<noscript><p><a href="/admin/options/sync#progress">Refresh</a> to see the progress.</p></noscript>
</section>`;
}

/** Each planned change in words (lists are capped by the sync service at 1,000 each; counts are exact). */
function changeLines(c: PlannedChanges): Array<[string, string[]]> {
  return [
    ['Users added', c.usersAdded.map((u) => `${u.username}${u.disabled ? ' (disabled)' : ''}`)],
    ['Users updated', c.usersUpdated.map((u) => `${u.username}: ${u.changes.join(', ')}`)],
    ['Users renamed', c.usersRenamed.map((u) => `${u.from} → ${u.to}`)],
    ['Users disabled', c.usersDisabled.map((u) => `${u.username} (${u.reason})`)],
    ['Users enabled', c.usersEnabled],
    ['Users deleted', c.usersDeleted],
    ['Groups added', c.groupsAdded],
    ['Groups updated', c.groupsUpdated.map((g) => `${g.from === g.name ? g.name : `${g.from} → ${g.name}`}: ${g.changes.join(', ')}`)],
    ['Groups removed', c.groupsRemoved],
    ['Memberships', c.memberships.map((m) => `${m.group}: +${m.added} −${m.removed}`)],
  ];
}

function dryRunReport(r: SyncRunResult): SafeHtml {
  const lists = r.changes ? changeLines(r.changes).filter(([, items]) => items.length) : [];
  return html`<section class="report" id="dry-run" aria-labelledby="h-dry"><h2 id="h-dry">Dry run: ${statusBadge(r.status)} <span class="muted">(${duration(r.durationMs)}, nothing written)</span></h2>
${r.message ? html`<p class="${r.status === 'stopped' ? 'warn' : 'err'}">${r.message} ${r.hint ?? ''}</p>` : ''}
<dl class="kv-inline"><div><dt>Users</dt><dd>${countsText(r.users)}</dd></div><div><dt>Groups</dt><dd>${countsText(r.groups)}</dd></div><div><dt>Memberships</dt><dd>${countsText(r.memberships)}</dd></div></dl>
${lists.map(([label, items]) => html`<details><summary>${label} (${num(items.length)}${items.length === 1000 ? '+' : ''})</summary><ul>${items.slice(0, 200).map((i) => html`<li>${i}</li>`)}</ul>${items.length > 200 ? html`<p class="muted">…and more: synchronize to apply them, or use "spool sync now --dry-run --json" for the full list.</p>` : ''}</details>`)}
${(r.issues ?? []).length ? html`<details><summary>Problems (${num(r.issues?.length ?? 0)})</summary><ul>${(r.issues ?? []).slice(0, 200).map((i) => html`<li class="${i.level === 'error' ? 'err' : 'warn'}">${i.entry ? html`<code>${i.entry}</code>: ` : ''}${i.message}</li>`)}</ul></details>` : ''}
</section>`;
}
