/**
 * Deterministic test directory for the Samba AD harness (./samba-ad.ts): OUs, ~1,000 people, service accounts,
 * nested and cyclic groups, and the facts other tests assert on (counts, disabled accounts, nesting). Pure code:
 * the same options always give the same entries, so a test can compute what the server must return.
 */

export const REALM = 'SPOOL.TEST';
export const NETBIOS_DOMAIN = 'SPOOL';
export const UPN_SUFFIX = 'spool.test';
export const BASE_DN = 'DC=spool,DC=test';

/** userAccountControl (MS-ADTS 2.2.16): NORMAL_ACCOUNT (0x200), plus ACCOUNTDISABLE (0x2) for disabled ones. */
export const UAC_ENABLED = 512;
export const UAC_DISABLED = 514;

export type OuName = 'Staff' | 'Students' | 'Service Accounts' | 'Groups';

export interface DirectoryUser {
  cn: string;
  dn: string;
  ou: OuName;
  sAMAccountName: string;
  upn: string;
  givenName: string;
  sn: string;
  displayName: string;
  mail: string;
  department: string;
  office: string;
  /** Card number; service accounts have none. */
  employeeID: string | undefined;
  password: string;
  disabled: boolean;
}

export interface DirectoryGroup {
  cn: string;
  dn: string;
  /** Direct user members, by sAMAccountName. */
  users: string[];
  /** Direct group members, by cn. */
  groups: string[];
}

export interface SambaAdDataset {
  baseDn: string;
  ous: Record<OuName, string>;
  /** People (Staff + Students): every one has an employeeID, a mail and a password. */
  people: DirectoryUser[];
  serviceAccounts: DirectoryUser[];
  /** Unprivileged account (no group memberships beyond Domain Users) that a sync job binds as. */
  syncAccount: DirectoryUser;
  groups: DirectoryGroup[];
  expected: SambaAdExpected;
}

export interface SambaAdExpected {
  personCount: number;
  staffCount: number;
  studentCount: number;
  serviceAccountCount: number;
  enabledPersonCount: number;
  disabledSamAccountNames: string[];
  /** Direct group-in-group edges: parent cn to child cns (includes the Cycle-A/Cycle-B cycle). */
  nesting: Record<string, string[]>;
  /** Group with a few hundred direct user members. */
  largeGroup: { cn: string; memberCount: number };
  /** sAMAccountNames used by the sign-in tests (also in `people`). */
  signIn: { escapedDn: string; unicode: string[]; disabled: string; staff: string; student: string };
}

/**
 * RFC 4514 §2.4 escaping, spelled the way Samba writes DNs back (checked by the smoke test): a backslash before
 * `" + , < > \`, a leading space or `#` and a trailing space, except `;`, which Samba's ldb writes in hex as `\3B`
 * (also valid RFC 4514, and a real-world reason to compare DNs normalised rather than as strings).
 */
export function dnValue(value: string): string {
  return value
    .replace(/["+,<>\\]/g, (c) => `\\${c}`)
    .replace(/;/g, '\\3B')
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/** Every account's password: deterministic, and meets AD's default complexity rules (3 of 4 character classes). */
export function passwordFor(sAMAccountName: string): string {
  return `Spool-${sAMAccountName}-7x!`;
}

const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivan', 'Jade', 'Kai', 'Lena', 'Milo', 'Nia', 'Omar', 'Pia', 'Quinn', 'Rosa', 'Sam', 'Tara', 'Uma', 'Vic', 'Wes', 'Xena', 'Yuri', 'Zara', 'Abel', 'Bea', 'Cyd', 'Dara'];
const LAST = ['Adams', 'Brown', 'Clark', 'Diaz', 'Evans', 'Ford', 'Gray', 'Hill', 'Ito', 'Jones', 'King', 'Lopez', 'Moore', 'Ng', 'Ortiz', 'Patel', 'Quint', 'Reed', 'Shah', 'Tran', 'Usman', 'Vance', 'Wong', 'Xu', 'Young', 'Zhou', 'Baker', 'Cole', 'Dunn', 'Ellis'];
const STAFF_DEPARTMENTS = ['Mathematics', 'Science', 'English', 'History', 'Art', 'Music', 'Sport', 'Languages'];
const OFFICE_DEPARTMENTS = ['Administration', 'IT', 'Library', 'Facilities'];

type Seed = Pick<DirectoryUser, 'cn' | 'sAMAccountName' | 'givenName' | 'sn' | 'ou'> & { disabled?: boolean; department?: string; displayName?: string };

/** Special people, always present: escaped DN characters, Unicode names, one disabled. */
const SPECIAL: Seed[] = [
  { cn: 'Smith, John', sAMAccountName: 'jsmith', givenName: 'John', sn: 'Smith', ou: 'Staff' },
  { cn: 'Bo Chen+Wu', sAMAccountName: 'bchenwu', givenName: 'Bo', sn: 'Chen+Wu', ou: 'Staff' },
  { cn: 'Lee "JJ" Park', sAMAccountName: 'jpark', givenName: 'Lee', sn: 'Park', ou: 'Staff' },
  { cn: 'Tran; Minh <Office>', sAMAccountName: 'mtran', givenName: 'Minh', sn: 'Tran', ou: 'Staff' },
  { cn: 'José Núñez', sAMAccountName: 'jnunez', givenName: 'José', sn: 'Núñez', ou: 'Staff' },
  { cn: '李雷', sAMAccountName: 'lilei', givenName: '雷', sn: '李', ou: 'Students', displayName: '李雷' },
  { cn: 'Zoë Ødegård', sAMAccountName: 'zodegard', givenName: 'Zoë', sn: 'Ødegård', ou: 'Students' },
  { cn: 'Dora Disabled', sAMAccountName: 'ddisabled', givenName: 'Dora', sn: 'Disabled', ou: 'Staff', disabled: true },
];

function ouDns(baseDn: string): Record<OuName, string> {
  return { Staff: `OU=Staff,${baseDn}`, Students: `OU=Students,${baseDn}`, 'Service Accounts': `OU=Service Accounts,${baseDn}`, Groups: `OU=Groups,${baseDn}` };
}

function makeUser(ous: Record<OuName, string>, i: number, u: Seed): DirectoryUser {
  const staff = u.ou === 'Staff';
  const department = u.department ?? (staff ? STAFF_DEPARTMENTS[i % STAFF_DEPARTMENTS.length]! : `Year ${7 + (i % 6)}`);
  return {
    cn: u.cn,
    dn: `CN=${dnValue(u.cn)},${ous[u.ou]}`,
    ou: u.ou,
    sAMAccountName: u.sAMAccountName,
    upn: `${u.sAMAccountName}@${UPN_SUFFIX}`,
    givenName: u.givenName,
    sn: u.sn,
    displayName: u.displayName ?? `${u.givenName} ${u.sn}`,
    mail: `${u.sAMAccountName}@${UPN_SUFFIX}`,
    department,
    office: staff ? `Building ${'ABC'[i % 3]} Room ${100 + (i % 40)}` : `Campus ${i % 2 === 0 ? 'North' : 'South'}`,
    employeeID: u.ou === 'Service Accounts' ? undefined : String(10_000_000 + i * 7919),
    password: passwordFor(u.sAMAccountName),
    disabled: u.disabled ?? false,
  };
}

/**
 * Builds the dataset. `users` is the number of people (default 1,000, minimum 50): a fifth are staff, the rest
 * students; about one in a hundred is disabled.
 */
export function buildSambaAdDataset(opts: { users?: number } = {}): SambaAdDataset {
  const total = Math.max(50, Math.floor(opts.users ?? 1000));
  const ous = ouDns(BASE_DN);
  const staffTotal = Math.round(total / 5);
  const people: DirectoryUser[] = SPECIAL.map((s, i) => makeUser(ous, i, s));
  const staffSpecial = people.filter((p) => p.ou === 'Staff').length;
  for (let n = 0; people.length < total; n++) {
    const i = people.length;
    const first = FIRST[n % FIRST.length]!;
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length]!;
    const isStaff = n < staffTotal - staffSpecial;
    const sam = isStaff ? `${first}.${last}${n >= FIRST.length * LAST.length ? n : ''}`.toLowerCase() : `s${String(20_000 + n)}`;
    const department = isStaff && n % 5 === 0 ? OFFICE_DEPARTMENTS[n % OFFICE_DEPARTMENTS.length] : undefined;
    // First/last pairs repeat after FIRST.length * LAST.length people: from there on a suffix keeps CNs unique.
    const cn = n < FIRST.length * LAST.length ? `${first} ${last}` : `${first} ${last} ${n}`;
    people.push(makeUser(ous, i, { cn, sAMAccountName: sam, givenName: first, sn: last, ou: isStaff ? 'Staff' : 'Students', disabled: n % 100 === 13, ...(department ? { department } : {}) }));
  }
  const syncAccount = makeUser(ous, total, { cn: 'Spool Sync', sAMAccountName: 'svc-spool-sync', givenName: 'Spool', sn: 'Sync', ou: 'Service Accounts', department: 'IT' });
  const scanAccount = makeUser(ous, total + 1, { cn: 'Scan To Mail', sAMAccountName: 'svc-scan2mail', givenName: 'Scan', sn: 'Mail', ou: 'Service Accounts', department: 'IT' });

  const staff = people.filter((p) => p.ou === 'Staff');
  const students = people.filter((p) => p.ou === 'Students');
  const isTeacher = (p: DirectoryUser): boolean => STAFF_DEPARTMENTS.includes(p.department);
  const group = (cn: string, users: DirectoryUser[], groups: string[] = []): DirectoryGroup => ({
    cn, dn: `CN=${dnValue(cn)},${ous.Groups}`, users: users.map((u) => u.sAMAccountName), groups,
  });
  const byUid = (sam: string): DirectoryUser => people.find((p) => p.sAMAccountName === sam)!;
  const groups: DirectoryGroup[] = [
    group('Teachers', staff.filter(isTeacher)),
    group('Staff-All', staff.filter((p) => !isTeacher(p)), ['Teachers']),
    group('Printing-All', [byUid('lilei')], ['Staff-All']),
    group('Students-All', students),
    group('Cycle-A', [byUid('jnunez')], ['Cycle-B']),
    group('Cycle-B', [byUid('zodegard')], ['Cycle-A']),
    group('Empty-Group', []),
  ];
  const nesting: Record<string, string[]> = {};
  for (const g of groups) if (g.groups.length > 0) nesting[g.cn] = [...g.groups];
  const disabled = people.filter((p) => p.disabled).map((p) => p.sAMAccountName);
  const generated = (list: DirectoryUser[]): string =>
    list.find((p) => !p.disabled && !SPECIAL.some((s) => s.sAMAccountName === p.sAMAccountName))!.sAMAccountName;
  return {
    baseDn: BASE_DN,
    ous,
    people,
    serviceAccounts: [syncAccount, scanAccount],
    syncAccount,
    groups,
    expected: {
      personCount: people.length,
      staffCount: staff.length,
      studentCount: students.length,
      serviceAccountCount: 2,
      enabledPersonCount: people.length - disabled.length,
      disabledSamAccountNames: disabled,
      nesting,
      largeGroup: { cn: 'Students-All', memberCount: students.length },
      signIn: { escapedDn: 'jsmith', unicode: ['jnunez', 'lilei', 'zodegard'], disabled: 'ddisabled', staff: generated(staff), student: generated(students) },
    },
  };
}

/** sAMAccountNames of every user reachable from `groupCn` through nested groups, cycles included (sorted). */
export function transitiveUserMembers(ds: SambaAdDataset, groupCn: string): string[] {
  const seen = new Set<string>();
  const users = new Set<string>();
  const visit = (cn: string): void => {
    if (seen.has(cn)) return;
    seen.add(cn);
    const g = ds.groups.find((x) => x.cn === cn);
    if (!g) throw new Error(`no group ${cn} in the Samba AD dataset`);
    g.users.forEach((u) => users.add(u));
    g.groups.forEach(visit);
  };
  visit(groupCn);
  return [...users].sort();
}

/** Account lookup by sAMAccountName among people and service accounts. */
export function findAccount(ds: SambaAdDataset, sAMAccountName: string): DirectoryUser {
  const u = [...ds.people, ...ds.serviceAccounts].find((p) => p.sAMAccountName === sAMAccountName);
  if (!u) throw new Error(`no account ${sAMAccountName} in the Samba AD dataset`);
  return u;
}

// ---- LDIF (RFC 2849) ----

/** `attr: value`, or `attr:: base64` when the value is not a SAFE-STRING (here: printable ASCII, no leading space, colon or <). */
function line(attr: string, value: string): string {
  const safe = /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) && !value.endsWith(' ');
  return safe ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function userRecord(u: DirectoryUser): string {
  const attrs: Array<[string, string]> = [
    ['objectClass', 'user'], ['cn', u.cn], ['sAMAccountName', u.sAMAccountName], ['userPrincipalName', u.upn],
    ['givenName', u.givenName], ['sn', u.sn], ['displayName', u.displayName], ['mail', u.mail],
    ['department', u.department], ['physicalDeliveryOfficeName', u.office],
    ['userAccountControl', String(u.disabled ? UAC_DISABLED : UAC_ENABLED)],
  ];
  if (u.employeeID) attrs.push(['employeeID', u.employeeID]);
  // MS-ADTS 3.1.1.3.1.5.1: unicodePwd is the password in double quotes, UTF-16LE. The loader turns it into the
  // NT hash itself (see samba-ad.ts), so the LDIF stays readable for anyone debugging a failed load.
  const pwd = Buffer.from(`"${u.password}"`, 'utf16le').toString('base64');
  return [line('dn', u.dn), ...attrs.map(([a, v]) => line(a, v)), `unicodePwd:: ${pwd}`].join('\n');
}

/**
 * The whole dataset as LDIF for an offline load into sam.ldb: OUs, accounts, then groups (a `member` value must
 * name an existing entry), then the modify that closes the Cycle-A/Cycle-B cycle.
 */
export function datasetToLdif(ds: SambaAdDataset): string {
  const records: string[] = [];
  for (const [name, dn] of Object.entries(ds.ous)) records.push([line('dn', dn), 'objectClass: organizationalUnit', line('ou', name)].join('\n'));
  for (const u of [...ds.people, ...ds.serviceAccounts]) records.push(userRecord(u));
  const dnOf = (cn: string): string => ds.groups.find((g) => g.cn === cn)!.dn;
  const added = new Set<string>();
  const deferred: Array<[string, string]> = [];
  for (const g of ds.groups) {
    const lines = [line('dn', g.dn), 'objectClass: group', line('cn', g.cn), line('sAMAccountName', g.cn), line('description', `${g.cn} (Spool test data)`)];
    for (const sam of g.users) lines.push(line('member', findAccount(ds, sam).dn));
    for (const child of g.groups) {
      if (added.has(child)) lines.push(line('member', dnOf(child)));
      else deferred.push([g.dn, dnOf(child)]);
    }
    added.add(g.cn);
    records.push(lines.join('\n'));
  }
  for (const [parent, child] of deferred) records.push([line('dn', parent), 'changetype: modify', 'add: member', line('member', child), '-'].join('\n'));
  return `${records.join('\n\n')}\n`;
}
