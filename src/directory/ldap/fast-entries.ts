/**
 * A faster reader for ldapts' incoming messages, installed on every connection Spool opens.
 *
 * Why by hand: reading 100,000 users and 5,000 groups through ldapts' generic BER reader cost about 2.5 s of CPU
 * (an Attribute object, a Buffer view and a TextDecoder call per value, two conversions per entry, and a
 * Buffer.concat of everything buffered so far for every socket chunk of a multi-megabyte group entry). A sync
 * reads little else, so this reader decodes SearchResultEntry messages (RFC 4511 §4.5.2) straight into Spool's
 * LdapEntry shape, and hands every other message (bind, search done, extended responses, references) to ldapts'
 * own parser unchanged. Incoming bytes are buffered as a list of chunks and joined once per message.
 *
 * Values follow ldapts' rules: UTF-8 text as strings; bytes that are not valid UTF-8, ";binary" attributes and
 * the search's explicitBufferAttributes as Buffers.
 */
import { isUtf8 } from 'node:buffer';
import { SearchEntry, type Client, type Entry } from 'ldapts';
import { finish } from '../../domain/sync/fingerprint.ts';
import type { LdapEntry, LdapValue, PackedValues } from './entry.ts';

/** Carries the decoded entry through ldapts' search result (see toLdapEntry). */
export const DECODED = Symbol('spool.decodedEntry');

export type DecodedRaw = Entry & { [DECODED]: LdapEntry };

const SEQUENCE = 0x30;
const SET = 0x31;
const OCTET_STRING = 0x04;
const INTEGER = 0x02;
const SEARCH_RESULT_ENTRY = 0x64;

/**
 * A SearchResultEntry as it arrived: its bytes, and how the search that was running then wanted it decoded.
 * Decoding waits until Spool takes the entry (toLdapEntry), which the paged search does after it has asked for the
 * next page (search.ts): the server then prepares page N+1 while this side decodes page N. Decoding as bytes
 * arrived kept the next request waiting behind the whole page's decoding, and the server idle meanwhile (about
 * 0.6 s of a 1.7 s read of 100,000 users).
 *
 * Made with Object.create, without ldapts' constructors (four class-field initialisers per entry, 80 ms over
 * 100,000 entries): ldapts only checks `instanceof SearchEntry`, reads messageId and calls toObject().
 */
class PendingSearchEntry extends SearchEntry {
  declare buf: Buffer;
  declare start: number;
  declare end: number;
  declare packedAttrs: ReadonlySet<string> | undefined;
  declare keying: EntryKeying | undefined;

  static of(messageId: number, buf: Buffer, start: number, end: number, packedAttrs: ReadonlySet<string> | undefined, keying: EntryKeying | undefined): PendingSearchEntry {
    const e = Object.create(PendingSearchEntry.prototype) as PendingSearchEntry;
    e.messageId = messageId;
    e.buf = buf;
    e.start = start;
    e.end = end;
    e.packedAttrs = packedAttrs;
    e.keying = keying;
    return e;
  }

  override toObject(_requested: string[], explicitBufferAttributes: string[]): Entry {
    return new LazyEntry(this, explicitBufferAttributes) as unknown as Entry;
  }
}

/**
 * What ldapts hands on for a PendingSearchEntry. Spool's own code takes the decoded entry from DECODED
 * (toLdapEntry), which decodes it then, once. Anything reading it the ldapts way (`entry.namingContexts`) still
 * works through the prototype below: attribute names are matched case-insensitively, a single value comes back
 * unwrapped and an absent attribute as [], as ldapts returns them.
 */
class LazyEntry {
  #pending: PendingSearchEntry | null;
  #buffers: readonly string[];
  #decoded: LdapEntry | null = null;

  constructor(pending: PendingSearchEntry, buffers: readonly string[]) {
    this.#pending = pending;
    this.#buffers = buffers;
  }

  get [DECODED](): LdapEntry {
    if (this.#decoded) return this.#decoded;
    const p = this.#pending!;
    const decoded = decodeSearchEntry(p.buf, p.start, p.end, p.packedAttrs, p.keying);
    asBuffers(decoded, this.#buffers);
    if (decoded.rest) decoded.rest.buffers = this.#buffers;
    this.#pending = null;
    return (this.#decoded = decoded);
  }

  get dn(): string {
    return this[DECODED].dn;
  }
}

/** The ldapts view of a LazyEntry: any other property name is an attribute (one Proxy for all entries). */
Object.setPrototypeOf(LazyEntry.prototype, new Proxy(Object.create(null) as object, {
  get(_target, prop, receiver) {
    if (typeof prop !== 'string') return undefined;
    const vals = (receiver as LazyEntry)[DECODED].attrs.get(prop.toLowerCase());
    if (!vals) return [];
    return vals.length === 1 ? vals[0] : vals;
  },
  has: (_target, prop) => typeof prop === 'string',
}));

/** The search's explicitBufferAttributes as Buffers, as ldapts returns them. */
function asBuffers(decoded: LdapEntry, names: readonly string[]): void {
  for (const name of names) {
    const k = name.toLowerCase();
    const vals = decoded.attrs.get(k);
    if (vals) decoded.attrs.set(k, vals.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)));
  }
}

interface Header {
  /** Offset of the content. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

/** Tag at `at` must be `tag`; returns the content bounds, or null when the buffer ends first. */
function header(buf: Buffer, at: number, limit: number): Header | null {
  if (at + 2 > limit) return null;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return n === 0 || n > 4 ? invalid('length') : null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  return { start, end: start + len };
}

function invalid(what: string): never {
  throw new Error(`Malformed LDAP message from the server (BER ${what}).`);
}

function expect(buf: Buffer, at: number, tag: number, limit: number): Header {
  if (buf[at] !== tag) invalid(`tag 0x${(buf[at] ?? 0).toString(16)} where 0x${tag.toString(16)} was expected`);
  const h = header(buf, at, limit);
  if (!h || h.end > limit) return invalid('length');
  return h;
}

function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return false;
  return true;
}

/**
 * Buffer's own slicers, called directly: Buffer.prototype.toString(encoding, start, end) validates its arguments
 * and looks the encoding up on every call, which cost more than the copy itself for the two million short values
 * of a 100,000-user read (decoding them: about 400 -> 300 ms). They are long-standing methods of every Buffer but
 * not documented, so they are used only when present.
 */
type Slicer = (this: Buffer, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as { latin1Slice?: Slicer; utf8Slice?: Slicer };
const latin1: (buf: Buffer, start: number, end: number) => string = typeof proto.latin1Slice === 'function'
  ? (buf, start, end) => (proto.latin1Slice as Slicer).call(buf, start, end)
  : (buf, start, end) => buf.toString('latin1', start, end);
const utf8: (buf: Buffer, start: number, end: number) => string = typeof proto.utf8Slice === 'function'
  ? (buf, start, end) => (proto.utf8Slice as Slicer).call(buf, start, end)
  : (buf, start, end) => buf.toString('utf8', start, end);

/** Text when the bytes are UTF-8 (the common case: ASCII, decoded without validation), otherwise a copy of them. */
function value(buf: Buffer, start: number, end: number, binary: boolean): LdapValue {
  if (!binary) {
    if (isAscii(buf, start, end)) return latin1(buf, start, end);
    const view = buf.subarray(start, end);
    if (isUtf8(view)) return view.toString('utf8');
  }
  // A copy, so that one kept value does not pin the whole received chunk in memory.
  return Buffer.from(buf.subarray(start, end));
}

/**
 * Attribute descriptions, lower-cased, recognised from their bytes: every entry repeats the same dozen names, and
 * making a string of each just to look it up was a tenth of the decoding time. Keyed by length and first and
 * last byte, checked byte for byte.
 */
const typeCache = new Map<number, Array<{ bytes: Buffer; lower: string }>>();
function attributeType(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  const key = len > 0 ? (len << 16) | (buf[start]! << 8) | buf[end - 1]! : 0;
  const candidates = typeCache.get(key);
  if (candidates) {
    for (const c of candidates) {
      let k = 0;
      while (k < len && c.bytes[k] === buf[start + k]) k++;
      if (k === len) return c.lower;
    }
  }
  const lower = latin1(buf, start, end).toLowerCase();
  if (typeCache.size < 10_000 && (candidates?.length ?? 0) < 8) {
    const entry = { bytes: Buffer.from(buf.subarray(start, end)), lower };
    if (candidates) candidates.push(entry);
    else typeCache.set(key, [entry]);
  }
  return lower;
}

/** Attributes the running search of a client keeps as raw bytes (see setPackedAttributes). */
const packedByClient = new WeakMap<object, ReadonlySet<string>>();

/**
 * Makes this client's reader keep the values of these (lower-cased) attributes as bytes, in entry.packed, until
 * called again with null. Set by a search for its own lifetime (PagedSearchOptions.packed).
 */
export function setPackedAttributes(client: Client, names: ReadonlySet<string> | null): void {
  if (names) packedByClient.set(client, names);
  else packedByClient.delete(client);
}

/** The attributes currently packed for this client (to pause packing around a nested search). */
export function packedAttributesOf(client: Client): ReadonlySet<string> | null {
  return packedByClient.get(client) ?? null;
}

/**
 * How the running search of a client keys its entries (PagedSearchOptions.keyed): each entry gets rawHash, a
 * 53-bit hash of its bytes as the server sent them (DN and attributes, in the server's order), so that a sync can
 * tell an entry unchanged since the last run without decoding it (services/sync/read-directory.ts).
 */
export interface EntryKeying {
  /** Attributes left out of the hash (lower-cased): the change stamp, which moves with changes to any attribute. */
  unkeyed: ReadonlySet<string>;
  /**
   * Attributes decoded at once (lower-cased); the others only by completeEntry(), from the bytes the entry keeps
   * meanwhile. null: all of them at once.
   */
  eager: ReadonlySet<string> | null;
}

const keyingByClient = new WeakMap<object, EntryKeying>();

/** Makes this client's reader key its entries (see EntryKeying) until called again with null. */
export function setEntryKeying(client: Client, keying: EntryKeying | null): void {
  if (keying) keyingByClient.set(client, keying);
  else keyingByClient.delete(client);
}

/**
 * cyrb53's two 32-bit states over bytes, four at a time (an entry's 300-600 bytes, for each of 100,000 users).
 * Each step is a bijection of the state for a given word, so entries that differ in one word never collide; any
 * other difference collides with odds of about 2^-53 once the states are mixed (finish).
 */
let h1 = 0;
let h2 = 0;
function hashRange(buf: Buffer, start: number, end: number): void {
  let a = h1;
  let b = h2;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const w = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    a = Math.imul(a ^ w, 2654435761);
    b = Math.imul(b ^ w, 1597334677);
  }
  for (; i < end; i++) {
    a = Math.imul(a ^ buf[i]!, 2654435761);
    b = Math.imul(b ^ buf[i]!, 1597334677);
  }
  h1 = a;
  h2 = b;
}

function packValues(buf: Buffer, start: number, end: number): PackedValues {
  let bounds = new Int32Array(64);
  let count = 0;
  let v = start;
  while (v < end) {
    const vh = expect(buf, v, OCTET_STRING, end);
    if (2 * count + 2 > bounds.length) {
      const grown = new Int32Array(bounds.length * 2);
      grown.set(bounds);
      bounds = grown;
    }
    bounds[2 * count] = vh.start;
    bounds[2 * count + 1] = vh.end;
    count++;
    v = vh.end;
  }
  return { buf, bounds, count };
}

/**
 * Decodes the protocolOp of a SearchResultEntry (content bounds of the [APPLICATION 4] element); with `keying`,
 * also hashes it (EntryKeying).
 */
export function decodeSearchEntry(buf: Buffer, start: number, end: number, packed?: ReadonlySet<string>, keying?: EntryKeying): LdapEntry {
  const dnH = expect(buf, start, OCTET_STRING, end);
  const dn = isAscii(buf, dnH.start, dnH.end) ? latin1(buf, dnH.start, dnH.end) : utf8(buf, dnH.start, dnH.end);
  const attrs = new Map<string, LdapValue[]>();
  let packedAttrs: Map<string, PackedValues> | undefined;
  const list = expect(buf, dnH.end, SEQUENCE, end);
  const eager = keying?.eager;
  let skipped = false;
  if (keying) {
    h1 = 0xdeadbeef;
    h2 = 0x41c6ce57;
    // Whole elements (tag, length, content), so that where one ends and the next begins is part of the hash.
    hashRange(buf, start, dnH.end);
  }
  let at = list.start;
  while (at < list.end) {
    const attr = expect(buf, at, SEQUENCE, list.end);
    const typeH = expect(buf, attr.start, OCTET_STRING, attr.end);
    const type = attributeType(buf, typeH.start, typeH.end);
    if (keying && !keying.unkeyed.has(type)) hashRange(buf, at, attr.end);
    if (eager && !eager.has(type)) {
      skipped = true;
      at = attr.end;
      continue;
    }
    const binary = type.endsWith(';binary');
    const vals = expect(buf, typeH.end, SET, attr.end);
    if (packed?.has(type) && !packedAttrs?.has(type)) {
      const p = packValues(buf, vals.start, vals.end);
      if (p.count) (packedAttrs ??= new Map()).set(type, p);
      at = attr.end;
      continue;
    }
    const out: LdapValue[] = [];
    let v = vals.start;
    while (v < vals.end) {
      const vh = expect(buf, v, OCTET_STRING, vals.end);
      out.push(value(buf, vh.start, vh.end, binary));
      v = vh.end;
    }
    if (out.length) {
      const existing = attrs.get(type);
      if (existing) existing.push(...out);
      else attrs.set(type, out);
    }
    at = attr.end;
  }
  const entry: LdapEntry = packedAttrs ? { dn, attrs, packed: packedAttrs } : { dn, attrs };
  if (keying) entry.rawHash = finish(h1, h2);
  if (skipped) entry.rest = { buf, start, end, packed, buffers: [] };
  return entry;
}

/**
 * The entry with all its attributes: one that a keyed search decoded only in part (EntryKeying.eager) is decoded
 * again, whole, from the bytes it kept.
 */
export function completeEntry(e: LdapEntry): LdapEntry {
  const rest = e.rest;
  if (!rest) return e;
  const full = decodeSearchEntry(rest.buf, rest.start, rest.end, rest.packed);
  asBuffers(full, rest.buffers);
  full.rawHash = e.rawHash;
  return full;
}

function readMessageId(buf: Buffer, h: Header): number {
  let id = 0;
  for (let i = h.start; i < h.end; i++) id = id * 256 + buf[i]!;
  return id;
}

type ParserRead = (data: Buffer, details: Map<string, unknown>) => void;

/** Replaces the client's message reader (see the file comment). Idempotent. */
export function installFastEntryReader(client: Client): void {
  const parser = client['messageParser' as keyof Client] as unknown as { read: ParserRead & { spool?: true }; emit(event: string, arg: unknown): boolean; buffer?: Buffer };
  if (!parser || parser.read.spool) return;
  const original = parser.read.bind(parser) as ParserRead;
  let chunks: Buffer[] = [];
  let buffered = 0;

  /**
   * The next n bytes as one Buffer; the rest stays buffered. A message that spans chunks is copied alone: joining
   * every buffered chunk instead copied the whole next socket read (up to 64 KB) for each entry that straddled a
   * read boundary, about 80 MB and 100 ms over 100,000 users.
   */
  const take = (n: number): Buffer => {
    buffered -= n;
    const head = chunks[0]!;
    if (head.length >= n) {
      if (head.length === n) chunks.shift();
      else chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    for (let at = 0; at < n; ) {
      const c = chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) chunks.shift();
      else chunks[0] = c.subarray(k);
    }
    return out;
  };

  const read: ParserRead & { spool?: true } = (data, details) => {
    chunks.push(data);
    buffered += data.length;
    while (buffered > 0) {
      // The header (tag + up to 5 length bytes) may straddle chunks.
      if (chunks[0]!.length < 6 && chunks.length > 1) chunks = [Buffer.concat(chunks, buffered)];
      const head = chunks[0]!;
      if (head[0] !== SEQUENCE) {
        // Not an LDAPMessage: let ldapts report it as it always has.
        chunks = [];
        buffered = 0;
        original(head, details);
        return;
      }
      const h = header(head, 0, head.length);
      if (!h || h.end > buffered) return; // wait for more bytes
      const msg = take(h.end);
      let handled = false;
      try {
        const idH = expect(msg, h.start, INTEGER, h.end);
        if (msg[idH.end] === SEARCH_RESULT_ENTRY) {
          const op = expect(msg, idH.end, SEARCH_RESULT_ENTRY, h.end);
          // The DN's header is checked now: anything this reader cannot frame still goes to ldapts below.
          expect(msg, op.start, OCTET_STRING, op.end);
          const entry = PendingSearchEntry.of(readMessageId(msg, idH), msg, op.start, op.end, packedByClient.get(client), keyingByClient.get(client));
          handled = true;
          parser.emit('message', entry);
        }
      } catch (err) {
        if (handled) throw err;
        // Anything this reader does not understand goes to ldapts, which reports it with the message id.
      }
      if (!handled) original(msg, details);
    }
  };
  read.spool = true;
  parser.read = read;
}
