/**
 * Streaming searches. Large directories are read page by page with the Simple Paged Results control
 * (RFC 2696) through ldapts' searchPaginated: only one page of entries is in memory at a time. Never use
 * client.search() for user/group lists: it buffers the whole result (≈300 MB at 100,000 users).
 */
import { SpoolError } from '../../errors.ts';
import type { LdapConnection } from './connection.ts';
import { BINARY_ATTRIBUTES } from './connection.ts';
import type { LdapEntry } from './entry.ts';
import { toLdapEntry } from './entry.ts';
import { packedAttributesOf, setEntryKeying, setPackedAttributes, type EntryKeying } from './fast-entries.ts';
import { dnIsWithin } from './escape.ts';
import { translateLdapError } from './errors.ts';
import { normalizeFilter } from './filter.ts';

export type SearchScope = 'base' | 'one' | 'sub';

export interface PagedSearchOptions {
  /** One or more search bases, searched one after the other (a settings string may be ';'-separated). */
  baseDns: string[] | string;
  filter: string;
  attributes: string[];
  /** Entries per page (default 500). Servers may cap it (AD: MaxPageSize 1,000); paging continues anyway. */
  pageSize?: number;
  scope?: SearchScope;
  /** Extra attributes to return as Buffers, besides objectGUID/objectSid/GUID. */
  binaryAttributes?: string[];
  /** Progress callback, once per page received. */
  onPage?: (page: { baseDn: string; pageNumber: number; entries: number; references: number }) => void;
  /**
   * Attributes whose values are only looked up, never kept (group members): delivered as raw bytes in
   * entry.packed instead of as strings in entry.attrs. Other searches on the connection meanwhile are affected
   * too, so use it only where nothing else reads these attributes while the search runs.
   */
  packed?: string[];
  /** Hash each entry's bytes, and decode only some attributes at first (fast-entries.ts, EntryKeying). */
  keyed?: EntryKeying;
}

/**
 * Splits a settings value holding several base DNs. Separators are ';' and newlines; a ';' escaped inside a DN
 * value (`\;`) is not a separator. Blank parts are dropped.
 */
export function splitBaseDns(setting: string | string[]): string[] {
  if (Array.isArray(setting)) return setting.map((s) => s.trim()).filter(Boolean);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < setting.length; i++) {
    const c = setting[i] as string;
    if (c === '\\' && i + 1 < setting.length) {
      cur += c + (setting[i + 1] as string);
      i++;
    } else if (c === ';' || c === '\n' || c === '\r') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

/**
 * Checks a filter strictly (RFC 4515, see filter.ts) and returns it with whitespace between components removed.
 * Throws ldap.invalid_filter.
 */
export function validateFilter(filter: string): string {
  return normalizeFilter(filter);
}

function binaryList(extra: string[] | undefined): string[] {
  const set = new Set(BINARY_ATTRIBUTES);
  for (const a of extra ?? []) {
    set.add(a);
    set.add(a.toLowerCase());
  }
  return [...set];
}

/** Server-side time limit (seconds) matching the client-side operation timeout. */
const timeLimitFor = (conn: LdapConnection): number => Math.max(1, Math.ceil(conn.timeoutMs / 1000));

/**
 * Streams every matching entry, page by page, base after base. A base DN that does not exist fails with
 * `ldap.base_dn_not_found` naming it. Breaking out of the loop early is fine; the server drops the paging
 * state when the connection closes. With scope 'sub', a base lying inside another listed base is skipped so
 * that no entry is returned twice.
 */
export async function* pagedSearch(conn: LdapConnection, opts: PagedSearchOptions): AsyncGenerator<LdapEntry> {
  for await (const page of pagedSearchPages(conn, opts)) yield* page;
}

/**
 * pagedSearch a page at a time: for the sync's 100,000-entry reads, where resuming async generators for every
 * entry cost more than handing over 500 entries at once.
 */
export async function* pagedSearchPages(conn: LdapConnection, opts: PagedSearchOptions): AsyncGenerator<LdapEntry[]> {
  const filter = normalizeFilter(opts.filter);
  const scope = opts.scope ?? 'sub';
  let bases = splitBaseDns(opts.baseDns);
  if (bases.length === 0) {
    throw new SpoolError('ldap.config_invalid', 'No search base (base DN) is configured.', {
      hint: 'Enter the DN below which users and groups live, e.g. OU=Staff,DC=example,DC=com.',
      status: 400,
    });
  }
  if (scope === 'sub') bases = bases.filter((b, i) => !bases.some((o, j) => j !== i && dnIsWithin(b, o) && (!dnIsWithin(o, b) || j < i)));
  const pageSize = Math.max(1, Math.floor(opts.pageSize ?? 500));
  const explicitBufferAttributes = binaryList(opts.binaryAttributes);
  if (opts.packed?.length) setPackedAttributes(conn.client, new Set(opts.packed.map((a) => a.toLowerCase())));
  if (opts.keyed) setEntryKeying(conn.client, opts.keyed);
  try {
    yield* pagesOf(conn, bases, { ...opts, filter, scope, pageSize, explicitBufferAttributes });
  } finally {
    if (opts.packed?.length) setPackedAttributes(conn.client, null);
    if (opts.keyed) setEntryKeying(conn.client, null);
  }
}

async function* pagesOf(
  conn: LdapConnection, bases: string[],
  opts: PagedSearchOptions & { filter: string; scope: SearchScope; pageSize: number; explicitBufferAttributes: string[] },
): AsyncGenerator<LdapEntry[]> {
  const { filter, scope, pageSize, explicitBufferAttributes } = opts;
  for (const baseDn of bases) {
    const pages = conn.client.searchPaginated(baseDn, {
      scope,
      filter,
      attributes: opts.attributes,
      explicitBufferAttributes,
      paged: { pageSize },
      timeLimit: timeLimitFor(conn),
    });
    let pageNumber = 0;
    type Page = IteratorResult<{ searchEntries: Parameters<typeof toLdapEntry>[0][]; searchReferences: string[] }>;
    const nextPage = (): Promise<Page> => pages.next().catch((err: unknown) => {
      throw translateLdapError(err, { operation: 'search', url: conn.url, security: conn.security, baseDn, filter });
    });
    // The request for page N+1 goes out as soon as page N has arrived (its cookie is all the next request needs),
    // so the server prepares the next page while this side converts and processes the current one. At most two
    // pages are alive at a time.
    let ahead: Promise<Page> = nextPage();
    while (true) {
      const next = await ahead;
      if (next.done) break;
      ahead = nextPage();
      // A rejection is seen when awaited; until then it must not count as unhandled (e.g. if the consumer stops early).
      ahead.catch(() => undefined);
      const page = next.value;
      pageNumber++;
      opts.onPage?.({ baseDn, pageNumber, entries: page.searchEntries.length, references: page.searchReferences.length });
      // Each raw entry is dropped as it is converted, so that one representation of the page is alive at a time.
      const raw = page.searchEntries;
      const entries: LdapEntry[] = new Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        entries[i] = toLdapEntry(raw[i] as Parameters<typeof toLdapEntry>[0]);
        (raw as unknown[])[i] = undefined;
      }
      yield entries;
    }
  }
}

/**
 * Runs fn with packing paused on this connection: for a search nested in a packing one (AD's ranged member reads)
 * whose entries must arrive with all their values decoded.
 */
export async function withoutPackedValues<T>(conn: LdapConnection, fn: () => Promise<T>): Promise<T> {
  const saved = packedAttributesOf(conn.client);
  setPackedAttributes(conn.client, null);
  try {
    return await fn();
  } finally {
    setPackedAttributes(conn.client, saved);
  }
}

/** Collects a paged search into an array: for small result sets and tests only. */
export async function collect(it: AsyncIterable<LdapEntry>): Promise<LdapEntry[]> {
  const out: LdapEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/**
 * Reads one entry by DN (base-scope search). Returns undefined when it does not exist.
 * Used for ranged attribute retrieval and for re-reading a single user.
 */
export async function readEntry(conn: LdapConnection, dn: string, attributes: string[], binaryAttributes?: string[]): Promise<LdapEntry | undefined> {
  try {
    const res = await conn.client.search(dn, {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes,
      explicitBufferAttributes: binaryList(binaryAttributes),
      timeLimit: timeLimitFor(conn),
    });
    const raw = res.searchEntries[0];
    return raw ? toLdapEntry(raw) : undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 32) return undefined;
    throw translateLdapError(err, { operation: 'search', url: conn.url, security: conn.security });
  }
}
