/**
 * How a sync run reads to an admin: its counts in words, the certificate it saw, and when the next
 * scheduled sync is due. Shared by the dashboard and the sync pages.
 */
import type { SyncRunRow } from '../../store/schema.ts';
import { html, type SafeHtml } from '../html/template.ts';
import { duration, num, statusBadge, when } from './ui.ts';

export interface RunStats {
  users?: Partial<Record<'added' | 'updated' | 'renamed' | 'disabled' | 'deleted' | 'unchanged' | 'enabled' | 'seen', number>>;
  groups?: Partial<Record<'added' | 'updated' | 'removed' | 'unchanged', number>>;
  memberships?: Partial<Record<'added' | 'removed', number>>;
  certificate?: { subject?: string; validTo?: string; daysLeft?: number } | null;
  [k: string]: unknown;
}

export function parseStats(text: string | null | undefined): RunStats {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as RunStats) : {};
  } catch {
    return {};
  }
}

/** "12 added, 3 updated, 1 disabled" (zero counts left out; "no changes" when all are zero). */
export function countsText(counts: Record<string, number | undefined> | undefined): string {
  const parts = Object.entries(counts ?? {})
    .filter(([k, n]) => typeof n === 'number' && n > 0 && k !== 'unchanged' && k !== 'seen')
    .map(([k, n]) => `${num(n as number)} ${k}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

export function runSummary(run: SyncRunRow): SafeHtml {
  const s = parseStats(run.stats);
  return html`<dl class="kv-inline">
<div><dt>Started</dt><dd>${when(run.startedAt)} <span class="muted">(${run.trigger}${run.mode ? `, ${run.mode}` : ''}${run.dryRun ? ', dry run' : ''})</span></dd></div>
<div><dt>Result</dt><dd>${statusBadge(run.status)}${run.durationMs !== null ? html` in ${duration(run.durationMs)}` : ''}</dd></div>
<div><dt>Users</dt><dd>${countsText(s.users)}</dd></div>
<div><dt>Groups</dt><dd>${countsText(s.groups)}</dd></div>
<div><dt>Memberships</dt><dd>${countsText(s.memberships)}</dd></div>
</dl>${run.error ? html`<p class="${run.status === 'stopped' ? 'warn' : 'err'}">${run.error}</p>` : ''}`;
}

/** The next local time HH:MM after `now`. */
export function nextDaily(hhmm: string, now: Date): Date {
  const [h, m] = hhmm.split(':').map(Number);
  const next = new Date(now);
  next.setHours(h ?? 1, m ?? 15, 0, 0);
  if (next <= now) next.setDate(next.getDate() + 1);
  return next;
}

export interface NextSync {
  at: Date;
  mode: 'full' | 'incremental';
}

/**
 * About when the scheduler (services/sync/schedule.ts) syncs next: the nightly full sync at its local time, or
 * the incremental one N minutes after the last run; undefined when the schedule is off or no LDAP source is on.
 */
export function nextScheduledSync(s: Record<string, unknown>, lastStartedAt: string | undefined, now: Date): NextSync | undefined {
  const ldapInUse = s['sync.primary-source'] === 'ldap' || s['sync.secondary-source'] === 'ldap';
  if (!ldapInUse || s['sync.schedule.enabled'] === false) return undefined;
  const full: NextSync = { at: nextDaily(String(s['sync.schedule.full-time'] ?? '01:15'), now), mode: 'full' };
  const minutes = Number(s['sync.schedule.incremental-minutes'] ?? 0);
  if (minutes <= 0) return full;
  const last = lastStartedAt ? new Date(lastStartedAt).getTime() : now.getTime();
  const inc = new Date(Math.max(now.getTime(), last + minutes * 60_000));
  return inc < full.at ? { at: inc, mode: 'incremental' } : full;
}
