/**
 * `spool sync now|test|log|runs|status|groups`: the directory sync from the command line, with --json for scripts.
 * `spool sync now --json` prints one object: users.{added,updated,renamed,disabled,deleted,unchanged},
 * groups.{added,updated,removed}, memberships.{added,removed}, durationMs, status (a contract for scripts).
 */
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import { describeCounts, emptyCounts, type SyncCounts } from '../../domain/sync/types.ts';
import type { SyncRunResult, TestReport } from '../../services/sync/index.ts';
import { SpoolError } from '../../errors.ts';
import { cliActor, withApp } from '../context.ts';
import { emit, table } from '../output.ts';
import type { ServeHook } from '../serve-hooks.ts';
import { intOption } from './users.ts';

function runSummary(r: SyncRunResult): string {
  const u = r.users;
  const g = r.groups;
  const m = r.memberships;
  const lines = [
    `${r.dryRun ? 'Dry run (nothing written)' : `Run #${r.runId ?? '-'}`}: ${r.status}, ${r.mode}, ${(r.durationMs / 1000).toFixed(1)} s`,
    `Users:       ${u.added} added, ${u.updated} updated, ${u.renamed} renamed, ${u.disabled} disabled, ${u.deleted} deleted, ${u.unchanged} unchanged${u.skipped ? `, ${u.skipped} skipped` : ''}`,
    `Groups:      ${g.added} added, ${g.updated} updated, ${g.removed} removed`,
    `Memberships: ${m.added} added, ${m.removed} removed`,
  ];
  if (r.warnings || r.errors) lines.push(`Problems:    ${r.errors} error(s), ${r.warnings} warning(s): see "spool sync log${r.runId ? ` ${r.runId}` : ''} --level warn"`);
  if (r.message) lines.push('', r.message, ...(r.hint ? [r.hint] : []));
  if (r.changes) {
    const c = r.changes;
    const list = (title: string, items: string[]): void => {
      if (items.length) lines.push('', `${title}:`, ...items.map((i) => `  ${i}`));
    };
    list('Would add', c.usersAdded.map((a) => `${a.username}${a.dn ? ` (${a.dn})` : ''}`));
    list('Would rename', c.usersRenamed.map((a) => `${a.from} -> ${a.to}`));
    list('Would update', c.usersUpdated.map((a) => `${a.username}: ${a.changes.join(', ')}`));
    list('Would disable', c.usersDisabled.map((a) => `${a.username} (${a.reason})`));
    list('Would delete', c.usersDeleted);
    list('Would add groups', c.groupsAdded);
    list('Would remove groups', c.groupsRemoved);
  }
  return lines.join('\n');
}

function testSummary(r: TestReport): string {
  const lines = r.steps.map((s) => `${s.ok ? 'OK  ' : 'FAIL'} ${s.step.padEnd(13)} ${s.message}${s.hint ? `\n     ${' '.repeat(13)} ${s.hint}` : ''}`);
  for (const w of r.warnings) lines.push(`WARN ${w}`);
  if (r.sample.length) {
    lines.push('', 'Sample of users as Spool would import them:');
    lines.push(table(r.sample.map((s) => ({ username: s.username, name: s.fullName, email: s.email, department: s.department, card: s.cardNumber, disabled: s.disabled ? 'yes' : '' })), ['username', 'name', 'email', 'department', 'card', 'disabled']));
  }
  if (r.issues.length) lines.push('', 'Entries with problems:', ...r.issues.slice(0, 20).map((i) => `  ${i.level}: ${i.message}`));
  lines.push('', r.ok ? 'Settings look good.' : 'Settings need attention (see FAIL above).');
  return lines.join('\n');
}

export function registerSyncCommands(program: Command): void {
  const sync = program.command('sync').description('Directory (LDAP/AD) sync: run, test the settings, read the log');

  sync
    .command('now')
    .description('Synchronize users and groups from the directory now')
    .option('--dry-run', 'show what would change, write nothing')
    .option('--allow-mass-delete', 'go ahead even if delete protection would stop the sync')
    .option('--incremental', 'ask the directory only for entries changed since the last sync')
    .option('--json', 'JSON output')
    .action(async (o: { dryRun?: boolean; allowMassDelete?: boolean; incremental?: boolean; json?: boolean }) => {
      const showProgress = !o.json && process.stderr.isTTY;
      let last = '';
      const r = await withApp((app) => app.services.sync.run({
        dryRun: o.dryRun, allowMassDelete: o.allowMassDelete, incremental: o.incremental, trigger: 'cli', actor: cliActor(),
        onProgress: showProgress
          ? (p) => {
            const line = `${p.source ?? ''} ${p.phase}: ${p.usersRead} users, ${p.groupsRead} groups${p.toApply ? `, ${p.applied}/${p.toApply} changes` : ''}`;
            if (line !== last) process.stderr.write(`\r${(last = line).padEnd(78)}`);
          }
          : undefined,
      }));
      if (showProgress && last) process.stderr.write('\n');
      emit(o, r, () => runSummary(r));
      if (r.status !== 'succeeded') {
        if (o.json) process.stderr.write(`${JSON.stringify({ error: { code: r.code ?? 'sync.failed', message: r.message ?? `Sync ${r.status}.`, ...(r.hint ? { hint: r.hint } : {}) } })}\n`);
        process.exitCode = 1;
      }
    });

  sync
    .command('test')
    .description('Check the directory settings: connection, TLS certificate, bind, what would be imported (changes nothing)')
    .option('--secondary', 'test the secondary directory (ldap2.*)')
    .option('--json', 'JSON output')
    .action(async (o: { secondary?: boolean; json?: boolean }) => {
      const r = await withApp((app) => app.services.sync.test(o.secondary ? 'secondary' : 'primary'));
      emit(o, r, () => testSummary(r));
      if (!r.ok) process.exitCode = 1;
    });

  sync
    .command('log')
    .description('Log lines of a sync run (default: the latest)')
    .argument('[run]', 'run id')
    .option('--level <level>', 'info, warn (warnings and errors) or error')
    .option('--search <text>', 'only lines containing this text')
    .option('--limit <n>', 'at most this many lines', '1000')
    .option('--json', 'JSON output')
    .action(async (run: string | undefined, o: { level?: string; search?: string; limit: string; json?: boolean }) => {
      if (o.level && !['info', 'warn', 'error'].includes(o.level)) throw new SpoolError('cli.usage', `--level must be info, warn or error, not "${o.level}".`);
      const id = run === undefined ? undefined : intOption('run', run.replace(/^#/, ''), 1, Number.MAX_SAFE_INTEGER);
      const r = await withApp((app) => app.services.sync.log(id, { level: o.level as 'info' | 'warn' | 'error' | undefined, search: o.search, limit: intOption('limit', o.limit, 1, 100_000) }));
      emit(o, r, () => [
        `Run #${r.run.id} (${r.run.mode}, ${r.run.status}, started ${r.run.startedAt}${r.run.durationMs === null ? '' : `, ${(r.run.durationMs / 1000).toFixed(1)} s`})${runCounts(r.run.stats)}`,
        ...r.lines.map((l) => `${l.createdAt.slice(11, 19)} ${l.level.toUpperCase().padEnd(5)} ${l.message}`),
        ...(r.more ? [`… more lines follow: --limit N for more, --level warn for warnings and errors only, --search TEXT for one entry.`] : []),
      ].join('\n'));
    });

  sync
    .command('runs')
    .description('Recent sync runs')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'JSON output')
    .action(async (o: { limit: string; json?: boolean }) => {
      const runs = await withApp((app) => app.services.sync.runs(intOption('limit', o.limit, 1, 1000)));
      emit(o, runs, () => table(runs.map((r) => {
        const s = r.stats as { users?: Record<string, number> };
        return { id: r.id, started: r.startedAt.replace('T', ' ').slice(0, 19), mode: r.mode, trigger: r.trigger, status: r.status, seconds: r.durationMs === null ? '' : (r.durationMs / 1000).toFixed(1), added: s.users?.added ?? '', disabled: s.users?.disabled ?? '' };
      }), ['id', 'started', 'mode', 'trigger', 'status', 'seconds', 'added', 'disabled']));
    });

  sync
    .command('status')
    .description('Whether a sync is running, its progress, and the last run')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const s = await withApp((app) => app.services.sync.status());
      emit(o, s, () => (s.running ? `Running: ${s.progress ? `${s.progress.phase}, ${s.progress.usersRead} users, ${s.progress.groupsRead} groups` : 'in another process'}` : 'No sync running.') + (s.lastRun ? `\nLast run: #${s.lastRun.id} ${s.lastRun.status} at ${s.lastRun.startedAt}` : ''));
    });

  sync
    .command('groups')
    .description('Search the directory\'s groups (for ldap.import-groups)')
    .argument('[search]', 'part of the group name', '')
    .option('--limit <n>', 'at most this many', '25')
    .option('--json', 'JSON output')
    .action(async (search: string, o: { limit: string; json?: boolean }) => {
      const groups = await withApp((app) => app.services.sync.searchGroups(search, intOption('limit', o.limit, 1, 1000)));
      emit(o, groups, () => table(groups.map((g) => ({ name: g.name, dn: g.dn })), ['name', 'dn']));
    });
}

/** `spool serve`: nightly full and frequent incremental syncs (off with SPOOL_SCHEDULER=off). */
export const syncServeHook: ServeHook = async (spool: App) => {
  if (!spool.config.schedulerEnabled) return () => undefined;
  return spool.services.sync.startSchedule();
};

/** A run's counts in one line ("" while it runs or when it recorded none), so the outcome comes before the detail. */
function runCounts(stats: Record<string, unknown>): string {
  const s = stats as Partial<Record<keyof SyncCounts, Record<string, number>>>;
  if (!s.users) return '';
  const e = emptyCounts();
  return `: ${describeCounts({ users: { ...e.users, ...s.users }, groups: { ...e.groups, ...s.groups }, memberships: { ...e.memberships, ...s.memberships } })}`;
}
