/**
 * A small, test-only LDAP server (ldapjs) that behaves like Windows Active Directory where OpenLDAP and Samba
 * do not, so the adapter's AD code paths are exercised for real over the wire:
 * - MaxPageSize 1,000: a paged search gets at most 1,000 entries per page whatever the client asks for, and an
 *   unpaged search with more than 1,000 results ends with sizeLimitExceeded after 1,000 entries;
 * - MaxValRange 1,500: `member` of bigger groups comes back as `member;range=0-1499`, and `member;range=a-b`
 *   / `member;range=a-*` requests are honoured, the last chunk ending in `-*` (MS-ADTS 3.1.1.3.1.3.3);
 * - binary objectGUID, userAccountControl, sAMAccountName, userPrincipalName, objectCategory;
 * - a simple bind with a DN and an EMPTY password succeeds as an anonymous bind (MS-ADTS 5.1.1.5; RFC 4513
 *   §5.1.2 "unauthenticated"), and invalid credentials carry AD's "data 52e"-style diagnostics;
 * - searching requires a real bind (like AD's 000004DC operations error).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { escapeDnValue, normalizeDn, parseDn } from '../../src/directory/ldap/escape.ts';
import { generateDirectory } from './directory-data.ts';

export interface FakeAdOptions {
  /** Number of users (default 2,500). */
  users?: number;
  /** Members of CN=Big Group (default: min(4,000, users)). */
  bigGroupMembers?: number;
  baseDn?: string;
  maxPageSize?: number;
  maxValRange?: number;
  /** Every Nth user has ACCOUNTDISABLE set (default 10; 0 = none). */
  disabledEvery?: number;
}

export interface FakeAdStats {
  binds: number;
  emptyPasswordBinds: number;
  searches: number;
  pagedSearches: number;
  largestPage: number;
  rangedRequests: number;
}

export interface FakeAdServer {
  url: string;
  port: number;
  baseDn: string;
  usersDn: string;
  groupsDn: string;
  bindDn: string;
  bindPassword: string;
  bigGroupDn: string;
  userCount: number;
  bigGroupMembers: number;
  stats: FakeAdStats;
  /**
   * Answer every Nth page with no entries and a cookie that continues the search, as AD does when a page's time
   * budget runs out (RFC 2696 allows it). 0 (the default) turns it off.
   */
  emptyPageEvery: number;
  userDn(i: number): string;
  userSam(i: number): string;
  userPassword(i: number): string;
  userGuid(i: number): Buffer;
  stop(): Promise<void>;
}

// ldapjs ships no type declarations; these describe the small part used here.
interface LdapjsRequest {
  dn: unknown;
  credentials?: unknown;
  connection: object;
  baseObject: unknown;
  scopeName?: string;
  filter: FilterNode;
  attributes?: string[];
  sizeLimit: number;
  controls: { type: string; value?: { size: number; cookie?: Buffer } }[];
}
interface LdapjsResponse {
  /** Requested attributes: ldapjs filters sent entries by them case-sensitively, even with noFiltering. */
  attributes: string[];
  diagnosticMessage: string;
  end(status?: number): void;
  send(entry: { dn: string; attributes: Record<string, Values> }, noFiltering: boolean): void;
  addControl(control: unknown): void;
}
type Next = (err?: Error) => void;
type Handler = (req: LdapjsRequest, res: LdapjsResponse, next: Next) => void;
interface LdapjsServer {
  server: { on(event: 'connection', fn: (s: Socket) => void): void };
  bind(base: string, handler: Handler): void;
  search(base: string, handler: Handler): void;
  listen(port: number, host: string, cb: () => void): void;
  once(event: 'error', fn: (err: Error) => void): void;
  address(): { port: number };
  close(cb: () => void): void;
}
interface Ldapjs {
  createServer(): LdapjsServer;
  PagedResultsControl: new (o: { value: { size: number; cookie: Buffer } }) => unknown;
}
const ldapjs = createRequire(import.meta.url)('ldapjs') as Ldapjs;

type Values = (string | Buffer)[];
interface FakeEntry {
  dn: string;
  norm: string;
  /** Number of RDNs, for one-level searches. */
  depth: number;
  /** Lower-cased first RDN value of objectCategory, for the (objectCategory=person) shortcut. */
  category?: string;
  attrs: Map<string, { name: string; values: Values }>;
}

interface FilterNode {
  type: string;
  attribute?: string;
  value?: unknown;
  clauses?: FilterNode[];
  subInitial?: string;
  subAny?: string[];
  subFinal?: string;
  matchType?: string;
  matchingRule?: string;
  matchValue?: string;
}

const AD_NO_OBJECT = (dn: string): string => `0000208D: NameErr: DSID-0310020A, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'${dn}'`;
const AD_BIND_FAIL = (sub: string): string => `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${sub}, v4563`;
const AD_NEED_BIND = '000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563';

// RFC 4511 result codes used below.
const RC = { operationsError: 1, sizeLimitExceeded: 4, noSuchObject: 32, invalidCredentials: 49 } as const;

/** Ends a request with an error code and an AD-style diagnostic (ldapjs drops the message of next(err)). */
function fail(res: LdapjsResponse, next: Next, code: number, message: string): void {
  res.diagnosticMessage = message;
  res.end(code);
  next();
}

const str = (v: string | Buffer): string => (typeof v === 'string' ? v : v.toString('utf8'));

function makeEntry(dn: string, attrs: Record<string, string | Buffer | Values>): FakeEntry {
  const map = new Map<string, { name: string; values: Values }>();
  for (const [name, v] of Object.entries(attrs)) map.set(name.toLowerCase(), { name, values: Array.isArray(v) ? v : [v] });
  const cat = map.get('objectcategory')?.values[0];
  const category = cat === undefined ? undefined : parseDn(str(cat))[0]?.[0]?.value.toLowerCase();
  return { dn, norm: normalizeDn(dn), depth: parseDn(dn).length, attrs: map, ...(category ? { category } : {}) };
}

function matches(f: FilterNode, e: FakeEntry): boolean {
  const vals = (a: string | undefined): Values => e.attrs.get((a ?? '').toLowerCase())?.values ?? [];
  switch (f.type) {
    case 'AndFilter': return (f.clauses ?? []).every((c) => matches(c, e));
    case 'OrFilter': return (f.clauses ?? []).some((c) => matches(c, e));
    case 'NotFilter': return !matches((f.clauses ?? [])[0] as FilterNode, e);
    case 'PresenceFilter': return vals(f.attribute).length > 0;
    case 'EqualityFilter': {
      const want = String(f.value).toLowerCase();
      // AD matches objectCategory=person against the category's DN (defaultObjectCategory shortcut).
      if (f.attribute?.toLowerCase() === 'objectcategory') {
        return e.category === want || vals(f.attribute).some((v) => str(v).toLowerCase() === want);
      }
      if (f.attribute?.toLowerCase() === 'distinguishedname') return normalizeDn(String(f.value)) === e.norm;
      return vals(f.attribute).some((v) => str(v).toLowerCase() === want);
    }
    case 'SubstringFilter': {
      const re = new RegExp(`^${[f.subInitial ?? '', ...(f.subAny ?? []), f.subFinal ?? ''].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
      return vals(f.attribute).some((v) => re.test(str(v)));
    }
    case 'GreaterThanEqualsFilter': return vals(f.attribute).some((v) => Number(str(v)) >= Number(f.value));
    case 'LessThanEqualsFilter': return vals(f.attribute).some((v) => Number(str(v)) <= Number(f.value));
    case 'ExtensibleFilter': {
      // LDAP_MATCHING_RULE_BIT_AND / BIT_OR on userAccountControl.
      const n = BigInt(f.matchValue ?? '0');
      return vals(f.matchType).some((v) => {
        const x = BigInt(str(v));
        return f.matchingRule === '1.2.840.113556.1.4.803' ? (x & n) === n : f.matchingRule === '1.2.840.113556.1.4.804' ? (x & n) !== 0n : false;
      });
    }
    default: return false;
  }
}

/** Applies attribute selection and AD's MaxValRange to one entry. */
function project(e: FakeEntry, requested: string[], maxValRange: number, stats: FakeAdStats): Record<string, Values> {
  const out: Record<string, Values> = {};
  const all = requested.length === 0 || requested.includes('*');
  if (requested.includes('1.1') && requested.length === 1) return out;
  const wanted = new Map<string, { low: number; high: number | '*' } | null>();
  for (const r of requested) {
    const m = /^([^;]+);range=(\d+)-(\d+|\*)$/i.exec(r);
    if (m) {
      wanted.set((m[1] ?? '').toLowerCase(), { low: Number(m[2]), high: m[3] === '*' ? '*' : Number(m[3]) });
      stats.rangedRequests++;
    } else wanted.set(r.toLowerCase(), null);
  }
  for (const [key, { name, values }] of e.attrs) {
    if (!all && !wanted.has(key)) continue;
    const range = wanted.get(key) ?? null;
    if (range === null && values.length <= maxValRange) {
      out[name] = values;
      continue;
    }
    const low = range?.low ?? 0;
    const maxHigh = low + maxValRange - 1;
    const high = range === null || range.high === '*' ? maxHigh : Math.min(range.high, maxHigh);
    if (high >= values.length - 1) out[`${name};range=${low}-*`] = values.slice(low);
    else out[`${name};range=${low}-${high}`] = values.slice(low, high + 1);
  }
  return out;
}

export async function startFakeAd(opts: FakeAdOptions = {}): Promise<FakeAdServer> {
  const baseDn = opts.baseDn ?? 'DC=corp,DC=example';
  const userCount = opts.users ?? 2500;
  const bigGroupMembers = Math.min(opts.bigGroupMembers ?? 4000, userCount);
  const maxPageSize = opts.maxPageSize ?? 1000;
  const maxValRange = opts.maxValRange ?? 1500;
  const disabledEvery = opts.disabledEvery ?? 10;
  const usersDn = `OU=Staff,${baseDn}`;
  const groupsDn = `OU=Groups,${baseDn}`;
  const bindDn = `CN=Spool Sync,OU=Service Accounts,${baseDn}`;
  const bindPassword = 'sync-Secret1';
  const upnSuffix = parseDn(baseDn).map((r) => r[0]?.value ?? '').join('.').toLowerCase();
  const categoryPerson = `CN=Person,CN=Schema,CN=Configuration,${baseDn}`;
  const gen = generateDirectory({ baseDn, users: userCount, groups: 0, unicode: true });

  const userGuid = (i: number): Buffer => createHash('md5').update(`fake-ad-user-${i}`).digest();
  const userDn = (i: number): string => {
    const u = gen.user(i);
    const special = u.dn.startsWith('cn=');
    return `CN=${escapeDnValue(special ? u.cn : `${u.cn} (${u.uid})`)},${usersDn}`;
  };
  const bigGroupDn = `CN=Big Group,${groupsDn}`;
  const smallGroupDn = `CN=Printing Admins,${groupsDn}`;
  const passwords = new Map<string, { password: string; disabled: boolean }>();
  passwords.set(normalizeDn(bindDn), { password: bindPassword, disabled: false });

  const entries: FakeEntry[] = [
    makeEntry(baseDn, { objectClass: ['top', 'domain', 'domainDNS'], dc: parseDn(baseDn)[0]?.[0]?.value ?? 'corp' }),
    makeEntry(usersDn, { objectClass: ['top', 'organizationalUnit'], ou: 'Staff' }),
    makeEntry(groupsDn, { objectClass: ['top', 'organizationalUnit'], ou: 'Groups' }),
    makeEntry(`OU=Service Accounts,${baseDn}`, { objectClass: ['top', 'organizationalUnit'], ou: 'Service Accounts' }),
    makeEntry(bindDn, { objectClass: ['top', 'person', 'organizationalPerson', 'user'], cn: 'Spool Sync', sAMAccountName: 'spool-sync', userAccountControl: '66048', objectCategory: categoryPerson, objectGUID: userGuid(-1) }),
  ];
  for (let i = 0; i < userCount; i++) {
    const u = gen.user(i);
    const dn = userDn(i);
    const disabled = disabledEvery > 0 && (i + 1) % disabledEvery === 0;
    passwords.set(normalizeDn(dn), { password: u.password ?? '', disabled });
    entries.push(makeEntry(dn, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      objectCategory: categoryPerson,
      cn: parseDn(dn)[0]?.[0]?.value ?? u.cn,
      sAMAccountName: u.uid,
      userPrincipalName: `${u.uid}@${upnSuffix}`,
      displayName: u.cn,
      givenName: u.givenName,
      sn: u.sn,
      mail: u.mail,
      department: u.department,
      physicalDeliveryOfficeName: u.office,
      employeeID: u.cardNumber,
      userAccountControl: String(disabled ? 514 : 512),
      uSNChanged: String(10_000 + i),
      objectGUID: userGuid(i),
      memberOf: i < bigGroupMembers ? [bigGroupDn, ...(i < 3 ? [smallGroupDn] : [])] : i < 3 ? [smallGroupDn] : [],
    }));
  }
  entries.push(makeEntry(bigGroupDn, {
    objectClass: ['top', 'group'], cn: 'Big Group', sAMAccountName: 'Big Group', groupType: '-2147483646',
    objectGUID: createHash('md5').update('fake-ad-big-group').digest(),
    member: Array.from({ length: bigGroupMembers }, (_, i) => userDn(i)),
  }));
  entries.push(makeEntry(smallGroupDn, {
    objectClass: ['top', 'group'], cn: 'Printing Admins', sAMAccountName: 'Printing Admins', groupType: '-2147483646',
    objectGUID: createHash('md5').update('fake-ad-small-group').digest(),
    member: [userDn(0), userDn(1), userDn(2)],
  }));
  for (const e of entries) for (const k of [...e.attrs.keys()]) if (e.attrs.get(k)?.values.length === 0) e.attrs.delete(k);
  const byDn = new Map(entries.map((e) => [e.norm, e]));

  const stats: FakeAdStats = { binds: 0, emptyPasswordBinds: 0, searches: 0, pagedSearches: 0, largestPage: 0, rangedRequests: 0 };
  const authenticated = new WeakMap<object, boolean>();
  const results = new Map<string, FakeEntry[]>();
  let nextQueryId = 1;
  let pagesServed = 0;
  const behaviour = { emptyPageEvery: 0 };
  const server = ldapjs.createServer();
  const sockets = new Set<Socket>();
  server.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.bind('', (req, res, next) => {
    stats.binds++;
    const dn = normalizeDn(String(req.dn));
    const password = typeof req.credentials === 'string' ? req.credentials : '';
    if (password === '') {
      // What Windows does: DN + empty password = unauthenticated bind, reported as success.
      stats.emptyPasswordBinds++;
      authenticated.set(req.connection, false);
      res.end();
      return next();
    }
    const acct = passwords.get(dn);
    if (!acct) return fail(res, next, RC.invalidCredentials, AD_BIND_FAIL('525'));
    if (acct.password !== password) return fail(res, next, RC.invalidCredentials, AD_BIND_FAIL('52e'));
    if (acct.disabled) return fail(res, next, RC.invalidCredentials, AD_BIND_FAIL('533'));
    authenticated.set(req.connection, true);
    res.end();
    return next();
  });

  server.search('', (req, res, next) => {
    stats.searches++;
    if (!authenticated.get(req.connection)) return fail(res, next, RC.operationsError, AD_NEED_BIND);
    const baseStr = String(req.baseObject);
    const base = normalizeDn(baseStr);
    if (base !== '' && !byDn.has(base)) return fail(res, next, RC.noSuchObject, AD_NO_OBJECT(baseDn));
    const scope = req.scopeName ?? 'sub';
    const paged = req.controls.find((c) => c.type === '1.2.840.113556.1.4.319');
    const cookie = paged?.value?.cookie?.length ? paged.value.cookie.toString() : '';
    // A paged search is evaluated once; later pages read the stored result (the cookie names it).
    const [queryId, offsetText] = cookie ? cookie.split(':') : [String(nextQueryId++), '0'];
    let found = results.get(queryId ?? '');
    if (!found) {
      const depth = base === '' ? 0 : parseDn(baseStr).length;
      found = [];
      for (const e of entries) {
        const within = base === '' || e.norm === base || e.norm.endsWith(`,${base}`);
        const inScope = scope === 'base' ? e.norm === base : scope === 'one' ? within && e.norm !== base && e.depth === depth + 1 : within;
        if (inScope && matches(req.filter, e)) found.push(e);
      }
      if (paged) results.set(queryId ?? '', found);
    }
    const requested = req.attributes ?? [];
    res.attributes = [];
    const send = (list: FakeEntry[]): void => {
      for (const e of list) res.send({ dn: e.dn, attributes: project(e, requested, maxValRange, stats) }, true);
    };
    if (paged) {
      stats.pagedSearches++;
      const offset = Number(offsetText ?? '0');
      if (behaviour.emptyPageEvery && ++pagesServed % behaviour.emptyPageEvery === 0) {
        res.addControl(new ldapjs.PagedResultsControl({ value: { size: 0, cookie: Buffer.from(`${queryId}:${offset}`) } }));
        res.end();
        return next();
      }
      const size = Math.min(paged.value?.size || maxPageSize, maxPageSize);
      const page = found.slice(offset, offset + size);
      stats.largestPage = Math.max(stats.largestPage, page.length);
      send(page);
      const more = offset + size < found.length;
      if (!more) results.delete(queryId ?? '');
      res.addControl(new ldapjs.PagedResultsControl({ value: { size: 0, cookie: more ? Buffer.from(`${queryId}:${offset + size}`) : Buffer.alloc(0) } }));
      res.end();
      return next();
    }
    const limit = Math.min(req.sizeLimit > 0 ? req.sizeLimit : Infinity, maxPageSize);
    send(found.slice(0, limit));
    if (found.length > limit) return fail(res, next, RC.sizeLimitExceeded, 'Size Limit Exceeded');
    res.end();
    return next();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let stopped = false;
  return {
    url: `ldap://127.0.0.1:${port}`, port, baseDn, usersDn, groupsDn, bindDn, bindPassword, bigGroupDn, userCount, bigGroupMembers, stats,
    userDn,
    userSam: (i) => gen.user(i).uid,
    userPassword: (i) => gen.user(i).password ?? '',
    userGuid,
    get emptyPageEvery() {
      return behaviour.emptyPageEvery;
    },
    set emptyPageEvery(n: number) {
      behaviour.emptyPageEvery = n;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
