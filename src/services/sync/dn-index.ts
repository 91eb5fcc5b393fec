/**
 * The users of a directory read by their DN exactly as the server returned it, for resolving group members: a
 * member value is nearly always a user's DN byte for byte. Looked up from the value's raw bytes (member values
 * arrive undecoded, see PagedSearchOptions.packed) or from a string.
 *
 * ASCII DNs (nearly all) sit in a DigestIndex under a 53-bit hash of their characters, which for ASCII equals the
 * hash of their bytes; a hit is checked against the DN itself. Other DNs sit in a Map by string. A miss is not an
 * answer: the caller goes on with the slower comparison by DN key (case, spacing, escapes).
 */
import { finish } from '../../domain/sync/fingerprint.ts';
import { DigestIndex } from './digest-index.ts';

// cyrb53 (public domain, bryc) over 7-bit characters; null when one is not ASCII. Two copies of the loop, for
// strings and for bytes, so that each stays monomorphic (this runs for every one of 600,000 member values).

function hashString(s: string): number | null {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return null;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

function hashBytes(buf: Buffer, start: number, end: number): number | null {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c > 0x7f) return null;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

export class ExactDnIndex {
  private readonly hashed: DigestIndex;
  private readonly other = new Map<string, number>();

  /** `dns[i]` is user i's DN; the first of two equal DNs wins (a later duplicate entry is dropped by planSync). */
  constructor(private readonly dns: ReadonlyArray<string>) {
    this.hashed = new DigestIndex(dns.length);
    for (let i = 0; i < dns.length; i++) {
      const dn = dns[i]!;
      const h = hashString(dn);
      if (h === null || !this.hashed.add(h, i + 1)) {
        if (!this.other.has(dn) && this.byString(dn) === undefined) this.other.set(dn, i);
      }
    }
  }

  byString(v: string): number | undefined {
    const h = hashString(v);
    if (h === null) return this.other.get(v);
    const id = this.hashed.get(h);
    if (id !== undefined && this.dns[id - 1] === v) return id - 1;
    return this.other.get(v);
  }

  /** Same answer as byString(value decoded as UTF-8). */
  byBytes(buf: Buffer, start: number, end: number): number | undefined {
    const h = hashBytes(buf, start, end);
    if (h === null) return this.other.get(buf.toString('utf8', start, end));
    const id = this.hashed.get(h);
    if (id === undefined) return undefined;
    const dn = this.dns[id - 1]!;
    if (dn.length !== end - start) return undefined;
    for (let k = 0; k < dn.length; k++) if (dn.charCodeAt(k) !== buf[start + k]) return undefined;
    return id - 1;
  }
}
