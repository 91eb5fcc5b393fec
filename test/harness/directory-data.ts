/**
 * Deterministic LDIF for test directories and benchmarks: the same options always give the same bytes.
 * Entries: ou=people (inetOrgPerson + posixAccount + shadowAccount), ou=groups (groupOfNames `member`, every
 * tenth group a posixGroup `memberUid`, every tenth a groupOfUniqueNames `uniqueMember`), optional nested groups
 * with a cycle, DNs with RFC 4514 special characters, Unicode names, disabled users.
 * The suffix entry itself is not written (the server harness owns it) unless includeSuffix is set.
 * 100,000 users / 5,000 groups stream out in a few seconds; nothing but membership indexes is kept in memory.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { escapeDnValue, parseDn } from '../../src/directory/ldap/escape.ts';

export interface DirectoryOptions {
  baseDn: string;
  users: number;
  groups: number;
  /** Add nested groups: nested-top ⊃ nested-middle ⊃ group 2, and a cycle cycle-a ⊃ cycle-b ⊃ cycle-a. */
  nested?: boolean;
  /** Direct group memberships per user (default 2, capped at the number of groups). */
  membershipsPerUser?: number;
  /** Add groupOfNames cn=all-users with every user as member. */
  bigGroup?: boolean;
  /** Give users 5–7 Unicode names (José Núñez, Zoë Ångström, 李小龍). */
  unicode?: boolean;
  /** Give users 1–4 DNs that need escaping (`cn=Smith\, John`, `+`, leading `#`, `"`). Default true. */
  escapedDns?: boolean;
  /** Every Nth user is disabled: alternately pwdAccountLockedTime (ppolicy) and shadowExpire=1. */
  disabledEvery?: number;
  /** userPassword (cleartext) per user; default `pw-<uid>`; null writes no passwords. */
  password?: string | null | ((user: { index: number; uid: string }) => string);
  /** Write memberOf on users and nested groups (what slapd's memberof overlay keeps). Default true. */
  memberOf?: boolean;
  /** Also write the suffix entry (for loading the LDIF elsewhere). Default false. */
  includeSuffix?: boolean;
}

export interface GeneratedUser {
  index: number;
  dn: string;
  uid: string;
  cn: string;
  givenName: string;
  sn: string;
  mail: string;
  otherMail?: string;
  department: string;
  office: string;
  room: string;
  cardNumber: string;
  uidNumber: number;
  gidNumber: number;
  homeDirectory: string;
  password: string | null;
  disabled: false | 'ppolicy' | 'shadow';
}

export type GroupKind = 'groupOfNames' | 'posixGroup' | 'groupOfUniqueNames';

export interface GeneratedGroup {
  /** 0..groups-1 for regular groups; special groups follow. */
  index: number;
  dn: string;
  cn: string;
  kind: GroupKind;
  gidNumber?: number;
  /** Direct user members (indexes). */
  userMembers: number[];
  /** Direct group members (DNs). */
  groupMembers: string[];
}

export interface GeneratedDirectory {
  options: Required<Pick<DirectoryOptions, 'baseDn' | 'users' | 'groups'>> & DirectoryOptions;
  peopleDn: string;
  groupsDn: string;
  mailDomain: string;
  user(index: number): GeneratedUser;
  /** Regular groups then special ones (all-users, nested-*, cycle-*). */
  groups(): GeneratedGroup[];
  /** Indexes of the regular groups a user is a direct member of. */
  userGroupIndexes(index: number): number[];
  /** Number of LDIF entries written by chunks(). */
  entryCount: number;
  /** LDIF in chunks of roughly 1 MB. */
  chunks(): Generator<string>;
  toLdif(): string;
  writeLdif(path: string): Promise<void>;
}

const FIRST = ['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ida', 'Jonas', 'Karla', 'Lukas', 'Mia', 'Noah', 'Olga', 'Paul', 'Rita', 'Sven', 'Tina', 'Uwe', 'Vera', 'Wim', 'Xenia', 'Yusuf', 'Zora'];
const LAST = ['Adams', 'Berg', 'Costa', 'Dahl', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jansen', 'Kowalski', 'Larsen', 'Meyer', 'Nowak', 'Olsen', 'Petrov', 'Quinn', 'Rossi', 'Schmidt', 'Tanaka', 'Ueda', 'Vogel', 'Weber', 'Young', 'Zimmer'];
const DEPTS = ['Sales', 'Engineering', 'Finance', 'Marketing', 'Support', 'Legal', 'Operations', 'Research'];
const SITES = ['Head Office', 'Building 2', 'Warehouse', 'Branch North'];

/** [rdn value, given, sn] for the special users at indexes 1..7. */
const ESCAPED: Record<number, [string, string, string]> = {
  1: ['Smith, John', 'John', 'Smith'],
  2: ['Alice+Bob', 'Alice', 'Bob'],
  3: ['#Hash Tag', 'Hash', 'Tag'],
  4: ['Say "Hi"', 'Say', 'Hi'],
};
const UNICODE: Record<number, [string, string, string]> = {
  5: ['José Núñez', 'José', 'Núñez'],
  6: ['Zoë Ångström', 'Zoë', 'Ångström'],
  7: ['李小龍', '小龍', '李'],
};

/** RFC 2849 SAFE-STRING: ASCII without NUL/LF/CR, not starting with space, ':' or '<'. */
function isSafeString(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d || c > 0x7f) return false;
    if (i === 0 && (c === 0x20 || c === 0x3a || c === 0x3c)) return false;
  }
  return true;
}

/** One LDIF attribute line (RFC 2849): base64 when the value is not a SAFE-STRING or ends with a space. */
export function ldifLine(attr: string, value: string): string {
  if (value === '') return `${attr}:\n`;
  if (isSafeString(value) && !value.endsWith(' ')) return `${attr}: ${value}\n`;
  return `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}\n`;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Suffix entry for the base DN (dc → dcObject+organization, o → organization, ou → organizationalUnit). */
export function suffixLdif(baseDn: string): string {
  const first = parseDn(baseDn)[0]?.[0];
  if (!first) throw new Error(`suffixLdif: empty base DN`);
  const t = first.type.toLowerCase();
  let s = ldifLine('dn', baseDn) + 'objectClass: top\n';
  if (t === 'dc') s += 'objectClass: dcObject\nobjectClass: organization\n' + ldifLine('dc', first.value) + ldifLine('o', first.value);
  else if (t === 'o') s += 'objectClass: organization\n' + ldifLine('o', first.value);
  else if (t === 'ou') s += 'objectClass: organizationalUnit\n' + ldifLine('ou', first.value);
  else throw new Error(`suffixLdif: unsupported suffix type ${t}`);
  return `${s}\n`;
}

export function generateDirectory(opts: DirectoryOptions): GeneratedDirectory {
  const { baseDn, users: U, groups: G } = opts;
  const m = Math.min(Math.max(0, opts.membershipsPerUser ?? 2), G);
  const escaped = opts.escapedDns ?? true;
  const memberOf = opts.memberOf ?? true;
  const peopleDn = `ou=people,${baseDn}`;
  const groupsDn = `ou=groups,${baseDn}`;
  const dcs = parseDn(baseDn).filter((r) => r[0]?.type.toLowerCase() === 'dc').map((r) => r[0]?.value ?? '');
  const mailDomain = dcs.length ? dcs.join('.').toLowerCase() : 'example.org';
  const uw = Math.max(6, String(U).length);
  const gw = Math.max(4, String(G).length);
  const stride = m > 0 ? Math.floor(G / m) : 0;

  const userGroupIndexes = (i: number): number[] => {
    const out: number[] = [];
    for (let k = 0; k < m; k++) out.push((i + k * stride) % G);
    return out;
  };
  // Members per regular group via counting sort over (user, k) pairs: O(users × m), no per-pair objects.
  const counts = new Int32Array(G + 1);
  for (let i = 0; i < U; i++) for (const g of userGroupIndexes(i)) counts[g + 1]! += 1;
  for (let g = 0; g < G; g++) counts[g + 1]! += counts[g]!;
  const flat = new Int32Array(counts[G] ?? 0);
  const fill = counts.slice(0, G);
  for (let i = 0; i < U; i++) for (const g of userGroupIndexes(i)) flat[fill[g]!++] = i;
  const membersOf = (g: number): number[] => Array.from(flat.subarray(counts[g]!, counts[g + 1]!));

  const kindOf = (g: number): GroupKind => (g % 10 === 7 ? 'posixGroup' : g % 10 === 8 ? 'groupOfUniqueNames' : 'groupOfNames');
  const groupCn = (g: number): string => `group${pad(g + 1, gw)}`;
  const groupDn = (cn: string): string => `cn=${escapeDnValue(cn)},${groupsDn}`;

  const user = (i: number): GeneratedUser => {
    if (i < 0 || i >= U) throw new RangeError(`user index ${i} out of range`);
    const uid = `user${pad(i + 1, uw)}`;
    const special = (escaped ? ESCAPED[i] : undefined) ?? (opts.unicode ? UNICODE[i] : undefined);
    const givenName = special?.[1] ?? FIRST[(i * 7) % FIRST.length]!;
    const sn = special?.[2] ?? LAST[(i * 11 + Math.floor(i / FIRST.length)) % LAST.length]!;
    const cn = special?.[0] ?? `${givenName} ${sn}`;
    const dn = special ? `cn=${escapeDnValue(cn)},${peopleDn}` : `uid=${uid},${peopleDn}`;
    const dis = opts.disabledEvery && opts.disabledEvery > 0 && (i + 1) % opts.disabledEvery === 0
      ? (((i + 1) / opts.disabledEvery) % 2 === 1 ? 'ppolicy' : 'shadow') : false;
    const pw = opts.password === null ? null : typeof opts.password === 'function' ? opts.password({ index: i, uid }) : opts.password ?? `pw-${uid}`;
    return {
      index: i, dn, uid, cn, givenName, sn,
      mail: `${uid}@${mailDomain}`,
      ...(i % 10 === 3 ? { otherMail: `${givenName.toLowerCase().replace(/[^a-z]/g, '') || 'x'}.${uid}@alias.${mailDomain}` } : {}),
      department: DEPTS[i % DEPTS.length]!,
      office: SITES[i % SITES.length]!,
      room: `${(i % 5) + 1}.${pad((i * 13) % 300, 3)}`,
      cardNumber: `9${pad((i * 7919 + 12345) % 1_000_000_000, 9)}`,
      uidNumber: 10000 + i,
      gidNumber: 10000,
      homeDirectory: `/home/${uid}`,
      password: pw,
      disabled: dis,
    };
  };

  const specials: GeneratedGroup[] = [];
  let nextIndex = G;
  const special = (cn: string, userMembers: number[], groupMembers: string[]): void => {
    specials.push({ index: nextIndex++, dn: groupDn(cn), cn, kind: 'groupOfNames', userMembers, groupMembers });
  };
  if (opts.bigGroup) special('all-users', Array.from({ length: U }, (_, i) => i), []);
  if (opts.nested && G >= 3 && U >= 2) {
    special('nested-middle', [0], [groupDn(groupCn(2))]);
    special('nested-top', [], [groupDn(groupCn(1)), groupDn('nested-middle')]);
    special('cycle-a', [0], [groupDn('cycle-b')]);
    special('cycle-b', [1], [groupDn('cycle-a')]);
  }
  const regular = (g: number): GeneratedGroup => {
    const kind = kindOf(g);
    return { index: g, dn: groupDn(groupCn(g)), cn: groupCn(g), kind, ...(kind === 'posixGroup' ? { gidNumber: 20000 + g } : {}), userMembers: membersOf(g), groupMembers: [] };
  };

  // memberOf values (groupOfNames only: what the memberof overlay maintains).
  const specialUserMemberOf = new Map<number, string[]>();
  const groupMemberOf = new Map<string, string[]>();
  for (const s of specials) {
    for (const u of s.userMembers) {
      const l = specialUserMemberOf.get(u) ?? [];
      l.push(s.dn);
      specialUserMemberOf.set(u, l);
    }
    for (const gdn of s.groupMembers) {
      const l = groupMemberOf.get(gdn) ?? [];
      l.push(s.dn);
      groupMemberOf.set(gdn, l);
    }
  }

  const userLdif = (i: number): string => {
    const u = user(i);
    let s = ldifLine('dn', u.dn);
    s += 'objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: shadowAccount\n';
    s += ldifLine('uid', u.uid) + ldifLine('cn', u.cn) + ldifLine('givenName', u.givenName) + ldifLine('sn', u.sn);
    s += ldifLine('displayName', u.cn) + ldifLine('mail', u.mail);
    if (u.otherMail) s += ldifLine('mail', u.otherMail);
    s += ldifLine('departmentNumber', u.department) + ldifLine('physicalDeliveryOfficeName', u.office) + ldifLine('roomNumber', u.room);
    s += ldifLine('employeeNumber', u.cardNumber) + `uidNumber: ${u.uidNumber}\ngidNumber: ${u.gidNumber}\n` + ldifLine('homeDirectory', u.homeDirectory);
    s += 'loginShell: /bin/bash\n';
    if (u.password !== null) s += ldifLine('userPassword', u.password);
    if (u.disabled === 'ppolicy') s += 'pwdAccountLockedTime: 000001010000Z\n';
    if (u.disabled === 'shadow') s += 'shadowExpire: 1\n';
    if (memberOf) {
      for (const g of userGroupIndexes(i)) if (kindOf(g) === 'groupOfNames') s += ldifLine('memberOf', groupDn(groupCn(g)));
      for (const gdn of specialUserMemberOf.get(i) ?? []) s += ldifLine('memberOf', gdn);
    }
    return `${s}\n`;
  };
  const groupLdif = (g: GeneratedGroup): string => {
    let s = ldifLine('dn', g.dn) + `objectClass: top\nobjectClass: ${g.kind}\n` + ldifLine('cn', g.cn);
    s += ldifLine('description', `Test group ${g.cn}`);
    if (g.kind === 'posixGroup') {
      s += `gidNumber: ${g.gidNumber ?? 20000 + g.index}\n`;
      for (const u of g.userMembers) s += ldifLine('memberUid', user(u).uid);
    } else {
      const attr = g.kind === 'groupOfUniqueNames' ? 'uniqueMember' : 'member';
      const dns = [...g.userMembers.map((u) => user(u).dn), ...g.groupMembers];
      // Both classes require at least one member (RFC 4519); an empty group points at itself like many tools do.
      if (dns.length === 0) dns.push(g.dn);
      for (const d of dns) s += ldifLine(attr, d);
    }
    if (memberOf) for (const p of groupMemberOf.get(g.dn) ?? []) s += ldifLine('memberOf', p);
    return `${s}\n`;
  };

  function* chunks(): Generator<string> {
    let buf = '';
    const push = function* (s: string): Generator<string> {
      buf += s;
      if (buf.length >= 1 << 20) {
        yield buf;
        buf = '';
      }
    };
    if (opts.includeSuffix) yield* push(suffixLdif(baseDn));
    yield* push(`${ldifLine('dn', peopleDn)}objectClass: top\nobjectClass: organizationalUnit\nou: people\n\n`);
    yield* push(`${ldifLine('dn', groupsDn)}objectClass: top\nobjectClass: organizationalUnit\nou: groups\n\n`);
    for (let i = 0; i < U; i++) yield* push(userLdif(i));
    for (let g = 0; g < G; g++) yield* push(groupLdif(regular(g)));
    for (const s of specials) yield* push(groupLdif(s));
    if (buf) yield buf;
  }

  return {
    options: opts,
    peopleDn,
    groupsDn,
    mailDomain,
    user,
    groups: () => [...Array.from({ length: G }, (_, g) => regular(g)), ...specials],
    userGroupIndexes,
    entryCount: (opts.includeSuffix ? 1 : 0) + 2 + U + G + specials.length,
    chunks,
    toLdif: () => Array.from(chunks()).join(''),
    async writeLdif(path: string): Promise<void> {
      const out = createWriteStream(path);
      for (const c of chunks()) if (!out.write(c)) await once(out, 'drain');
      out.end();
      await once(out, 'finish');
    },
  };
}
