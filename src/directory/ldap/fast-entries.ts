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
import type { LdapEntry, LdapValue, PackedValues } from './entry.ts';

/** Carries the decoded entry through ldapts' search result (see toLdapEntry). */
export const DECODED = Symbol('spool.decodedEntry');

export type DecodedRaw = Entry & { [DECODED]: LdapEntry };

const SEQUENCE = 0x30;
const SET = 0x31;
const OCTET_STRING = 0x04;
const INTEGER = 0x02;
const SEARCH_RESULT_ENTRY = 0x64;

/** A SearchEntry whose attributes were decoded by this module; ldapts only calls toObject() on it. */
class DecodedSearchEntry extends SearchEntry {
  constructor(messageId: number, private readonly decoded: LdapEntry) {
    super({ messageId, name: decoded.dn });
  }

  override toObject(_requested: string[], explicitBufferAttributes: string[]): Entry {
    for (const name of explicitBufferAttributes) {
      const k = name.toLowerCase();
      const vals = this.decoded.attrs.get(k);
      if (vals) this.decoded.attrs.set(k, vals.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)));
    }
    return asLdaptsEntry(this.decoded);
  }
}

/**
 * Spool's own code takes the decoded entry straight from DECODED (toLdapEntry). Anything reading the result the
 * ldapts way (`entry.namingContexts`) still works: attribute names are matched case-insensitively, a single value
 * comes back unwrapped and an absent attribute as [], as ldapts returns them.
 */
function asLdaptsEntry(decoded: LdapEntry): DecodedRaw {
  const target = { dn: decoded.dn, [DECODED]: decoded } as DecodedRaw;
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop !== 'string' || prop === 'dn') return Reflect.get(t, prop, receiver) as unknown;
      const vals = decoded.attrs.get(prop.toLowerCase());
      if (!vals) return Reflect.get(t, prop, receiver) as unknown ?? [];
      return vals.length === 1 ? vals[0] : vals;
    },
    has: (t, prop) => prop in t || (typeof prop === 'string' && decoded.attrs.has(prop.toLowerCase())),
    ownKeys: () => ['dn', ...decoded.attrs.keys()],
    getOwnPropertyDescriptor: (t, prop) => {
      if (prop === 'dn' || prop === DECODED) return Reflect.getOwnPropertyDescriptor(t, prop);
      const vals = typeof prop === 'string' ? decoded.attrs.get(prop) : undefined;
      return vals ? { value: vals.length === 1 ? vals[0] : vals, enumerable: true, configurable: true, writable: false } : undefined;
    },
  });
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

/** Decodes the protocolOp of a SearchResultEntry (content bounds of the [APPLICATION 4] element). */
export function decodeSearchEntry(buf: Buffer, start: number, end: number, packed?: ReadonlySet<string>): LdapEntry {
  const dnH = expect(buf, start, OCTET_STRING, end);
  const dn = isAscii(buf, dnH.start, dnH.end) ? latin1(buf, dnH.start, dnH.end) : utf8(buf, dnH.start, dnH.end);
  const attrs = new Map<string, LdapValue[]>();
  let packedAttrs: Map<string, PackedValues> | undefined;
  const list = expect(buf, dnH.end, SEQUENCE, end);
  let at = list.start;
  while (at < list.end) {
    const attr = expect(buf, at, SEQUENCE, list.end);
    const typeH = expect(buf, attr.start, OCTET_STRING, attr.end);
    const type = attributeType(buf, typeH.start, typeH.end);
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
  return packedAttrs ? { dn, attrs, packed: packedAttrs } : { dn, attrs };
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
          const entry = new DecodedSearchEntry(readMessageId(msg, idH), decodeSearchEntry(msg, op.start, op.end, packedByClient.get(client)));
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
