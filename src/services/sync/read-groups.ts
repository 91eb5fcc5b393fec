/**
 * The group pass of a directory read: every group entry with its members resolved to user indexes as values stream
 * in (member DNs are never kept); AD's ranged `member;range=` values are followed (MS-ADTS 3.1.1.3.1.3.3).
 */
import type { LdapConnection, LdapEntry, PackedValues } from '../../directory/ldap/index.ts';
import { all, findRange, first, memberAttrRules, pagedSearchPages, parseDn, resolveRangedAttribute, stableIdOf, stripOptionalUid, withoutPackedValues } from '../../directory/ldap/index.ts';
import type { SyncIssue } from '../../domain/sync/types.ts';
import { describeError, isSpoolError } from '../../errors.ts';
import type { ExactDnIndex } from './dn-index.ts';
import { dnKey } from './dn-key.ts';
import { laterChange, wrap } from './filters.ts';
import type { LdapSource } from './ldap-source.ts';
import type { RawGroup } from './read-directory.ts';

export async function readGroupEntries(
  conn: LdapConnection, src: LdapSource,
  ctx: { byDnKey: (key: string) => number | undefined; exact: ExactDnIndex; byName: Map<string, number>; issues: SyncIssue[]; protectedGroupIds: string[]; onGroup: () => void },
): Promise<{ groups: RawGroup[]; maxChange: string | null }> {
  const schema = src.schema;
  const rules = memberAttrRules(schema);
  const attributes = [...new Set([schema.groupNameAttr, schema.stableIdAttr, ...(schema.changeAttr ? [schema.changeAttr] : []), ...rules.map((r) => r.attr)])];
  const groups: RawGroup[] = [];
  /** Per group, member DNs that are not a user's DN as read: resolved once every group is known (see below). */
  const pendingOf: string[][] = [];
  let maxChange: string | null = null;
  // DN-valued member attributes arrive as raw bytes (entry.packed) and are looked up without decoding them.
  const packed = rules.filter((r) => r.valueType !== 'uid').map((r) => r.attr);
  for await (const page of pagedSearchPages(conn, { baseDns: src.baseDns, filter: wrap(schema.groupFilter), attributes, pageSize: src.pageSize, packed })) for (const e of page) {
    ctx.onGroup();
    if (schema.changeAttr) maxChange = laterChange(maxChange, first(e, schema.changeAttr), schema.changeAttr);
    let sourceId: string | undefined;
    try {
      sourceId = stableIdOf(e, schema.stableIdAttr);
    } catch (err) {
      ctx.issues.push({ level: 'error', code: 'sync.invalid_stable_id', message: `Group "${e.dn}": ${describeError(err)}; it was not synced.`, entry: e.dn });
      continue;
    }
    if (!sourceId) {
      ctx.issues.push({ level: 'error', code: 'sync.missing_stable_id', message: `Group "${e.dn}" has no ${schema.stableIdAttr}; it was not synced.`, entry: e.dn });
      continue;
    }
    const name = first(e, schema.groupNameAttr)?.trim() || rdnValue(e.dn);
    const users: number[] = [];
    const other: string[] = [];
    let unreadable = false;
    const pending: string[] = [];
    const byDnValue = (v: string): void => {
      const exact = ctx.exact.byString(v);
      if (exact !== undefined) users.push(exact);
      else pending.push(v);
    };
    for (const rule of rules) {
      const raw = rule.valueType === 'uid' ? undefined : e.packed?.get(rule.attr.toLowerCase());
      if (raw) resolvePacked(raw, ctx.exact, users, pending);
      // AD's ranged values come from further searches, which must see every value decoded.
      const values = findRange(e, rule.attr) ? await withoutPackedValues(conn, () => resolveRangedValues(conn, e, rule.attr, ctx.issues)) : all(e, rule.attr);
      if (values === null) {
        unreadable = true;
        break;
      }
      for (const v of values) {
        if (rule.valueType === 'uid') {
          const uname = v.trim().normalize('NFC').toLowerCase();
          const idx = ctx.byName.get(uname);
          if (idx !== undefined) users.push(idx);
          else other.push(`uid:${uname}`);
          continue;
        }
        byDnValue(v);
      }
    }
    // Members unknown: leave the group and its memberships as they are (never removed while unreadable).
    if (unreadable) {
      ctx.protectedGroupIds.push(sourceId);
      continue;
    }
    groups.push({ sourceId, name, dn: e.dn, key: dnKey(e.dn), changed: schema.changeAttr ? first(e, schema.changeAttr) ?? null : null, users, other });
    pendingOf.push(pending);
  }
  // A member that is not a user's DN as read is mostly a nested group's DN as read: recognised as such first, so
  // that users' DNs are compared by key (case, spacing, escapes) only for what remains, if anything does.
  const groupDns = new Set(groups.map((g) => g.dn));
  groups.forEach((g, i) => {
    for (const v of pendingOf[i]!) {
      if (groupDns.has(v)) {
        g.other.push(dnKey(v));
        continue;
      }
      // nameAndOptionalUID values (uniqueMember) may end in a #'0101'B uid.
      const k = dnKey(v.charCodeAt(v.length - 1) === 66 ? stripOptionalUid(v) : v);
      const idx = ctx.byDnKey(k);
      if (idx !== undefined) g.users.push(idx);
      else g.other.push(k); // a nested group spelt differently, a user not read in this run, or something foreign
    }
  });
  return { groups, maxChange };
}

/**
 * Packed member values to user indexes (as read), the others to `pending` as text. A function of its own: V8
 * optimizes this loop over 600,000 values far better than inside the async group loop (a no-change sync's group
 * pass in a CPU profile: 557 -> 457 ms).
 */
function resolvePacked(raw: PackedValues, exact: ExactDnIndex, users: number[], pending: string[]): void {
  const { buf, bounds, count } = raw;
  for (let k = 0; k < count; k++) {
    const start = bounds[2 * k]!;
    const end = bounds[2 * k + 1]!;
    const idx = exact.byBytes(buf, start, end);
    if (idx !== undefined) users.push(idx);
    else pending.push(buf.toString('utf8', start, end));
  }
}

async function resolveRangedValues(conn: LdapConnection, e: LdapEntry, attr: string, issues: SyncIssue[]): Promise<string[] | null> {
  try {
    return (await resolveRangedAttribute(conn, e, attr)).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
  } catch (err) {
    if (!isSpoolError(err) || err.code === 'ldap.unreachable' || err.code === 'ldap.connection_closed') throw err;
    issues.push({ level: 'error', code: 'sync.group_members_unreadable', message: `The members of group "${e.dn}" could not be read (${describeError(err)}); its memberships were left as they were.`, entry: e.dn });
    return null;
  }
}

function rdnValue(dn: string): string {
  try {
    return parseDn(dn)[0]?.[0]?.value ?? dn;
  } catch {
    return dn;
  }
}
