/**
 * The group pass of a directory read: every group entry with its members resolved to user indexes as values stream
 * in (member DNs are never kept); AD's ranged `member;range=` values are followed (MS-ADTS 3.1.1.3.1.3.3).
 */
import type { LdapConnection, LdapEntry, PackedValues } from '../../directory/ldap/index.ts';
import { all, findRange, first, memberAttrRules, pagedSearchPages, parseDn, resolveRangedAttribute, stableIdOf, stripOptionalUid, withoutPackedValues } from '../../directory/ldap/index.ts';
import { entryKey } from '../../domain/sync/fingerprint.ts';
import type { SyncIssue } from '../../domain/sync/types.ts';
import { describeError, isSpoolError } from '../../errors.ts';
import { ExactDnIndex } from './dn-index.ts';
import { dnKey } from './dn-key.ts';
import { laterChange, wrap } from './filters.ts';
import type { LdapSource } from './ldap-source.ts';
import type { RawGroup } from './read-directory.ts';

/**
 * What a full sync knows of the groups as it last left them, to recognise an unchanged directory (migration 003):
 * when every user entry and every group entry has the key stored for it, the stored memberships are exactly what
 * the member values would resolve to, and resolving them is skipped (RawDirectory.membersSame).
 */
export interface GroupKeying {
  seed: number;
  /** groups.sync_key of this source's groups, by stable id (groups that have one). */
  stored: ReadonlyMap<string, number>;
  /** How many groups of this source the store holds. */
  storedCount: number;
  /** Every user entry was found unchanged, and no user of this source is missing. */
  usersUnchanged: boolean;
}

/** The users of a read as the group pass needs them, by index: their DNs as read and their usernames (each built on first use). */
export interface GroupPassUsers {
  dns: () => readonly string[];
  usernames: () => readonly string[];
}

/** What a group pass adds to a read (plain data: it may cross threads). */
export interface GroupPassResult {
  groups: RawGroup[];
  maxChange: string | null;
  membersSame: boolean;
  issues: SyncIssue[];
  protectedGroupIds: string[];
}

/** Member values that are not a user's DN as read are looked up by DN key: these DNs servers spell in more than one way. */
const SPELT_VARIOUSLY = /[\\"+\u0080-\uffff]/;

/** The group pass of a directory read: every group entry, its members resolved to the users' indexes. */
export async function readGroupPass(conn: LdapConnection, src: LdapSource, users: GroupPassUsers, keying: GroupKeying | undefined, onGroup: () => void): Promise<GroupPassResult> {
  // Member values that are not a user's DN exactly as read (other case or spacing, escapes) are looked up by DN
  // key. Most such values name a user whose DN has escapes, quotes, '+' or non-ASCII characters, which servers
  // spell differently in member values than in entry DNs (slapd: "cn=Smith\, John" against "cn=Smith\2C John"):
  // those few users are keyed first. The keys of all users (100 ms and 100,000 strings at the bench's size)
  // are built only for a value that none of them answers.
  let byDn: Map<string, number> | undefined;
  let bySpelling: Map<string, number> | undefined;
  const byDnKey = (key: string): number | undefined => {
    if (!bySpelling) {
      bySpelling = new Map();
      users.dns().forEach((dn, i) => {
        if (SPELT_VARIOUSLY.test(dn)) bySpelling!.set(dnKey(dn), i);
      });
    }
    const hit = bySpelling.get(key);
    if (hit !== undefined) return hit;
    byDn ??= new Map(users.dns().map((dn, i) => [dnKey(dn), i]));
    return byDn.get(key);
  };
  // Member values usually repeat the user's DN exactly as the server returned it: matched as they are first, without
  // building a comparison key (or even a string) for each of 650,000 values.
  // Both built only when a member value is looked up (an unchanged directory's are not).
  let exactIndex: ExactDnIndex | undefined;
  const exact = (): ExactDnIndex => (exactIndex ??= new ExactDnIndex(users.dns()));
  let names: Map<string, number> | undefined;
  const byName = (): Map<string, number> => {
    if (!names) {
      const m = new Map<string, number>();
      users.usernames().forEach((name, i) => {
        if (!m.has(name)) m.set(name, i);
      });
      names = m;
    }
    return names;
  };
  const issues: SyncIssue[] = [];
  const protectedGroupIds: string[] = [];
  const g = await readGroupEntries(conn, src, { byDnKey, exact, byName, issues, protectedGroupIds, onGroup }, keying);
  return { ...g, issues, protectedGroupIds };
}

type MemberRule = ReturnType<typeof memberAttrRules>[number];
/** Users of the read by DN as read, and by username; built on first use. */
type Resolution = { exact: () => ExactDnIndex; byName: () => Map<string, number> };

export async function readGroupEntries(
  conn: LdapConnection, src: LdapSource,
  ctx: { byDnKey: (key: string) => number | undefined; exact: () => ExactDnIndex; byName: () => Map<string, number>; issues: SyncIssue[]; protectedGroupIds: string[]; onGroup: () => void },
  keying?: GroupKeying,
): Promise<{ groups: RawGroup[]; maxChange: string | null; membersSame: boolean }> {
  const schema = src.schema;
  const rules = memberAttrRules(schema);
  const attributes = [...new Set([schema.groupNameAttr, schema.stableIdAttr, ...(schema.changeAttr ? [schema.changeAttr] : []), ...rules.map((r) => r.attr)])];
  const groups: RawGroup[] = [];
  /** Per group, member DNs that are not a user's DN as read: resolved once every group is known (see below). */
  const pendingOf: string[][] = [];
  /** Entries whose key is the stored one, left unresolved while every entry so far has been (by group index). */
  const deferred: Array<[number, LdapEntry]> = [];
  let sameSoFar = keying?.usersUnchanged ?? false;
  let maxChange: string | null = null;
  // DN-valued member attributes arrive as raw bytes (entry.packed) and are looked up without decoding them.
  const packed = rules.filter((r) => r.valueType !== 'uid').map((r) => r.attr);
  const keyed = keying ? { unkeyed: new Set(schema.changeAttr ? [schema.changeAttr.toLowerCase()] : []), eager: null } : undefined;
  for await (const page of pagedSearchPages(conn, { baseDns: src.baseDns, filter: wrap(schema.groupFilter), attributes, pageSize: src.pageSize, packed, keyed })) for (const e of page) {
    ctx.onGroup();
    if (schema.changeAttr) maxChange = laterChange(maxChange, first(e, schema.changeAttr), schema.changeAttr);
    let sourceId: string | undefined;
    try {
      sourceId = stableIdOf(e, schema.stableIdAttr);
    } catch (err) {
      ctx.issues.push({ level: 'error', code: 'sync.invalid_stable_id', message: `Group "${e.dn}": ${describeError(err)}; it was not synced.`, entry: e.dn });
      sameSoFar = false;
      continue;
    }
    if (!sourceId) {
      ctx.issues.push({ level: 'error', code: 'sync.missing_stable_id', message: `Group "${e.dn}" has no ${schema.stableIdAttr}; it was not synced.`, entry: e.dn });
      sameSoFar = false;
      continue;
    }
    const name = first(e, schema.groupNameAttr)?.trim() || rdnValue(e.dn);
    // AD's ranged values come from further searches: the entry's own bytes do not cover them, so it gets no key.
    const ranged = rules.some((r) => r.valueType !== 'uid' && findRange(e, r.attr) !== undefined);
    const entryKeyOf = keying && !ranged && e.rawHash !== undefined ? entryKey(e.rawHash, false, keying.seed) : undefined;
    const group: RawGroup = { sourceId, name, dn: e.dn, key: dnKey(e.dn), changed: schema.changeAttr ? first(e, schema.changeAttr) ?? null : null, users: [], other: [], entryKey: entryKeyOf };
    const pending: string[] = [];
    if (sameSoFar && entryKeyOf !== undefined && keying!.stored.get(sourceId) === entryKeyOf) deferred.push([groups.length, e]);
    else {
      sameSoFar = false;
      if (!ranged) resolveMembers(e, rules, ctx, group, pending);
      else if (!(await resolveRanged(conn, e, rules, ctx, group, pending))) {
        // Members unknown: leave the group and its memberships as they are (never removed while unreadable).
        ctx.protectedGroupIds.push(sourceId);
        continue;
      }
    }
    groups.push(group);
    pendingOf.push(pending);
  }
  const membersSame = sameSoFar && keying !== undefined && groups.length === keying.storedCount && deferred.length === groups.length;
  if (!membersSame) for (const [i, e] of deferred) resolveMembers(e, rules, ctx, groups[i]!, pendingOf[i]!);
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
  return { groups, maxChange, membersSame };
}

/** A group entry's members (no ranged values) as user indexes, `uid:` names, and DNs left for later. */
function resolveMembers(e: LdapEntry, rules: readonly MemberRule[], r: Resolution, group: RawGroup, pending: string[]): void {
  for (const rule of rules) {
    const raw = rule.valueType === 'uid' ? undefined : e.packed?.get(rule.attr.toLowerCase());
    if (raw) resolvePacked(raw, r.exact(), group.users, pending);
    addValues(rule, all(e, rule.attr), r, group, pending);
  }
}

/** resolveMembers for an entry with ranged values (AD), read by further searches; false when they could not be. */
async function resolveRanged(conn: LdapConnection, e: LdapEntry, rules: readonly MemberRule[], r: Resolution & { issues: SyncIssue[] }, group: RawGroup, pending: string[]): Promise<boolean> {
  for (const rule of rules) {
    const raw = rule.valueType === 'uid' ? undefined : e.packed?.get(rule.attr.toLowerCase());
    if (raw) resolvePacked(raw, r.exact(), group.users, pending);
    // The further searches must see every value decoded.
    const values = findRange(e, rule.attr) ? await withoutPackedValues(conn, () => resolveRangedValues(conn, e, rule.attr, r.issues)) : all(e, rule.attr);
    if (values === null) return false;
    addValues(rule, values, r, group, pending);
  }
  return true;
}

function addValues(rule: MemberRule, values: readonly string[], r: Resolution, group: RawGroup, pending: string[]): void {
  if (!values.length) return;
  const byName = rule.valueType === 'uid' ? r.byName() : undefined;
  const exactIndex = rule.valueType === 'uid' ? undefined : r.exact();
  for (const v of values) {
    if (byName) {
      const uname = v.trim().normalize('NFC').toLowerCase();
      const idx = byName.get(uname);
      if (idx !== undefined) group.users.push(idx);
      else group.other.push(`uid:${uname}`);
      continue;
    }
    const exact = exactIndex!.byString(v);
    if (exact !== undefined) group.users.push(exact);
    else pending.push(v);
  }
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
