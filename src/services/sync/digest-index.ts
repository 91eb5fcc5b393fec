/**
 * Stored digest → store id, for the 100,000 lookups of a full sync (one per directory entry); also any other
 * 53-bit hash → positive integer (dn-index.ts).
 *
 * Why by hand: a Map keyed by 53-bit numbers boxes every key (they do not fit V8's small integers) and hashes
 * doubles; building and probing one for 100,000 users cost about 150 ms. Digests are uniformly distributed
 * already, so their low bits index an open-addressing table of typed arrays directly.
 */
export class DigestIndex {
  private readonly keys: Float64Array;
  /** Store id; 0 = empty slot, -1 = taken by an entry (see take). */
  private readonly ids: Int32Array;
  private readonly mask: number;

  constructor(capacity: number, arrays?: { keys: Float64Array; ids: Int32Array }) {
    if (arrays) {
      this.keys = arrays.keys;
      this.ids = arrays.ids;
      this.mask = arrays.keys.length - 1;
      return;
    }
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size);
    this.ids = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The table as it stands, to hand to another thread (transfer the buffers) and rebuild with the constructor. */
  arrays(): { keys: Float64Array; ids: Int32Array } {
    return { keys: this.keys, ids: this.ids };
  }

  /** False when the digest is there already (two rows with one digest). */
  add(digest: number, id: number): boolean {
    for (let i = (digest >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      if (this.ids[i] === 0) {
        this.keys[i] = digest;
        this.ids[i] = id;
        return true;
      }
      if (this.keys[i] === digest) return false;
    }
  }

  /** The slot holding this key, or -1. */
  private slot(digest: number): number {
    for (let i = (digest >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      if (this.ids[i] === 0) return -1;
      if (this.keys[i] === digest) return i;
    }
  }

  /** The id under this key (ids never taken; see take). */
  get(digest: number): number | undefined {
    const i = this.slot(digest);
    return i >= 0 && this.ids[i]! > 0 ? this.ids[i] : undefined;
  }

  /** The store id under this digest, once: a second take of the same digest finds nothing. */
  take(digest: number): number | undefined {
    const i = this.slot(digest);
    if (i < 0 || this.ids[i]! < 0) return undefined;
    const id = this.ids[i]!;
    this.ids[i] = -1;
    return id;
  }

  /** True while some id is not taken yet: the first one found ends the scan (no array of them is built). */
  hasUntaken(): boolean {
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i]! > 0) return true;
    return false;
  }

  /** Store ids never taken. */
  untaken(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i]! > 0) out.push(this.ids[i]!);
    return out;
  }
}
