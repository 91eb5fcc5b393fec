/**
 * Incremental sync watermarks. AD: uSNChanged, a per-domain-controller counter; the watermark is the DC's
 * highestCommittedUSN read before the searches (so nothing committed during the run is missed), and it is only
 * valid against the same DC. OpenLDAP/eDirectory: modifyTimestamp (GeneralizedTime, one-second resolution); the
 * next query starts a safety margin before the newest change seen, since an entry changed while the previous
 * run was reading may carry an older timestamp than one read later. Re-reading a few entries is harmless: the
 * plan of an unchanged entry is empty.
 */
import { parseGeneralizedTime } from '../../directory/ldap/index.ts';
import type { SourceName } from '../../domain/sync/types.ts';

export interface SourceCursor {
  attr: 'uSNChanged' | 'modifyTimestamp';
  value: string;
  /** The server the value belongs to (uSNChanged is per DC). */
  url: string;
  /** How long the run that produced it took: widens the modifyTimestamp margin. */
  durationMs: number;
}

export type RunCursor = Partial<Record<SourceName, SourceCursor>>;

const MARGIN_MS = 10_000;

export function parseRunCursor(text: string | null | undefined): RunCursor {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as RunCursor;
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function formatGeneralizedTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * The filter clause selecting entries changed since the cursor, or the reason an incremental sync is not possible.
 */
export function changedSinceClause(cursor: SourceCursor | undefined, changeAttr: string | null, url: string): { clause: string } | { reason: string } {
  if (!changeAttr) return { reason: 'this server type offers no change attribute (uSNChanged or modifyTimestamp)' };
  if (!cursor) return { reason: 'there is no earlier successful sync to continue from' };
  if (cursor.attr !== changeAttr) return { reason: `the change attribute changed from ${cursor.attr} to ${changeAttr}` };
  if (cursor.attr === 'uSNChanged') {
    if (cursor.url !== url) return { reason: `uSNChanged values are per domain controller and this sync reached ${url}, not ${cursor.url}` };
    if (!/^\d+$/.test(cursor.value)) return { reason: 'the stored watermark is unreadable' };
    return { clause: `(uSNChanged>=${(BigInt(cursor.value) + 1n).toString()})` };
  }
  const t = parseGeneralizedTime(cursor.value);
  if (!t) return { reason: 'the stored watermark is unreadable' };
  const since = new Date(t.getTime() - MARGIN_MS - Math.max(0, cursor.durationMs));
  return { clause: `(modifyTimestamp>=${formatGeneralizedTime(since)})` };
}
