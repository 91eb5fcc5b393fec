import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { BerWriter, MessageParser, SearchEntry, type Client } from 'ldapts';
import { mulberry32 } from '../../../test/helpers/prng.ts';
import { toLdapEntry, type LdapEntry } from './entry.ts';
import { completeEntry, installFastEntryReader, setEntryKeying, setPackedAttributes } from './fast-entries.ts';

type Attr = [type: string, values: Array<string | Buffer>];

/** One LDAPMessage holding a SearchResultEntry, BER-encoded with ldapts' own writer. */
function encodeEntry(messageId: number, dn: string, attrs: Attr[]): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(messageId);
  w.startSequence(0x64);
  w.writeString(dn);
  w.startSequence();
  for (const [type, values] of attrs) {
    w.startSequence();
    w.writeString(type);
    w.startSequence(0x31);
    for (const v of values) {
      if (typeof v === 'string') w.writeString(v);
      else w.writeBuffer(v, 0x04);
    }
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

/** What ldapts' own parser makes of the same bytes, converted the way Spool converts it. */
function viaLdapts(bytes: Buffer, explicit: string[] = []): LdapEntry {
  const parser = new MessageParser();
  let out: LdapEntry | undefined;
  parser.on('message', (m) => void (out = toLdapEntry((m as SearchEntry).toObject([], explicit))));
  parser.read(bytes, new Map());
  return out!;
}

/** A stand-in client: just the message parser, as ldapts' Client holds it. */
function fastReader(): { feed(b: Buffer): void; entries: LdapEntry[]; others: unknown[] } {
  const parser = new MessageParser();
  const entries: LdapEntry[] = [];
  const others: unknown[] = [];
  parser.on('message', (m) => void (m instanceof SearchEntry ? entries.push(toLdapEntry(m.toObject([], ['objectGUID']))) : others.push(m)));
  installFastEntryReader({ messageParser: parser } as unknown as Client);
  return { feed: (b) => (parser as unknown as EventEmitter & { read(d: Buffer, m: Map<string, unknown>): void }).read(b, new Map()), entries, others };
}

describe('fast SearchResultEntry reader (RFC 4511 §4.5.2)', () => {
  const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const tricky: Attr[] = [
    ['cn', ['Zoë Ångström']],
    ['objectGUID', [guid]],
    ['mail', ['a@x.example', 'b@x.example']],
    ['description', [Buffer.from([0xff, 0xfe, 0x41])]],
    ['userCertificate;binary', [Buffer.from('not really a certificate')]],
    ['emptyValues', []],
    ['longValue', ['x'.repeat(70_000)]],
    ['member;range=0-1', ['CN=A\\+B,DC=x', 'CN=C,DC=x']],
  ];

  test('decodes what ldapts decodes: UTF-8, invalid UTF-8 as bytes, ;binary, long lengths, ranged options', () => {
    const bytes = encodeEntry(7, 'CN=Zoë,DC=example,DC=com', tricky);
    const r = fastReader();
    r.feed(bytes);
    assert.equal(r.entries.length, 1);
    assert.deepEqual(r.entries[0], viaLdapts(bytes, ['objectGUID']));
    assert.ok(Buffer.isBuffer(r.entries[0]!.attrs.get('objectguid')![0]));
    assert.equal(r.entries[0]!.attrs.has('emptyvalues'), false);
  });

  test('messages split across chunks at every boundary, and several messages in one chunk', () => {
    const one = encodeEntry(1, 'uid=a,dc=x', [['uid', ['a']], ['cn', ['Ä b']]]);
    const two = encodeEntry(2, 'uid=b,dc=x', tricky);
    const all = Buffer.concat([one, two, one]);
    for (let cut = 1; cut < one.length + 8; cut++) {
      const r = fastReader();
      r.feed(all.subarray(0, cut));
      r.feed(all.subarray(cut));
      assert.equal(r.entries.length, 3, `cut at ${cut}`);
      assert.equal(r.entries[1]!.attrs.get('longvalue')![0], 'x'.repeat(70_000));
    }
    const prng = mulberry32(42);
    const r = fastReader();
    for (let at = 0; at < all.length;) {
      const n = 1 + Math.floor(prng() * 4000);
      r.feed(all.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(r.entries.map((e) => e.dn), ['uid=a,dc=x', 'uid=b,dc=x', 'uid=a,dc=x']);
  });

  test('other messages go to ldapts unchanged', () => {
    const w = new BerWriter();
    w.startSequence();
    w.writeInt(3);
    w.startSequence(0x65); // SearchResultDone
    w.writeEnumeration(0);
    w.writeString('');
    w.writeString('');
    w.endSequence();
    w.endSequence();
    const r = fastReader();
    r.feed(Buffer.concat([encodeEntry(3, 'uid=a,dc=x', [['uid', ['a']]]), w.buffer]));
    assert.equal(r.entries.length, 1);
    assert.equal(r.others.length, 1);
    assert.equal((r.others[0] as { messageId: number }).messageId, 3);
  });

  test('the ldapts view of a decoded entry still answers by attribute name', () => {
    const parser = new MessageParser();
    let raw: Record<string, unknown> | undefined;
    parser.on('message', (m) => void (raw = (m as SearchEntry).toObject([], []) as Record<string, unknown>));
    installFastEntryReader({ messageParser: parser } as unknown as Client);
    (parser as unknown as { read(d: Buffer, m: Map<string, unknown>): void }).read(encodeEntry(4, 'dc=x', [['namingContexts', ['dc=x']], ['mail', ['a', 'b']]]), new Map());
    assert.equal(raw!.dn, 'dc=x');
    assert.equal(raw!.namingContexts, 'dc=x');
    assert.deepEqual(raw!.mail, ['a', 'b']);
    assert.deepEqual(raw!.absent, []);
  });

  test('packed attributes (a search asking for member values as bytes) keep every value undecoded and out of attrs', () => {
    const parser = new MessageParser();
    const entries: LdapEntry[] = [];
    parser.on('message', (m) => void entries.push(toLdapEntry((m as SearchEntry).toObject([], []))));
    const client = { messageParser: parser } as unknown as Client;
    installFastEntryReader(client);
    const members = ['uid=a,dc=x', 'CN=Zoë,DC=x', ''.padEnd(300, 'y')];
    const read = (b: Buffer): void => (parser as unknown as { read(d: Buffer, m: Map<string, unknown>): void }).read(b, new Map());
    setPackedAttributes(client, new Set(['member']));
    read(encodeEntry(5, 'cn=g,dc=x', [['cn', ['g']], ['member', members], ['member;range=0-1', ['uid=r,dc=x']]]));
    setPackedAttributes(client, null);
    read(encodeEntry(6, 'cn=h,dc=x', [['member', ['uid=b,dc=x']]]));
    const [g, h] = entries;
    const p = g!.packed!.get('member')!;
    assert.equal(p.count, 3);
    assert.deepEqual(Array.from({ length: p.count }, (_, k) => p.buf.toString('utf8', p.bounds[2 * k], p.bounds[2 * k + 1])), members);
    assert.equal(g!.attrs.has('member'), false);
    assert.deepEqual(g!.attrs.get('member;range=0-1'), ['uid=r,dc=x'], 'other attribute descriptions stay decoded');
    assert.deepEqual(g!.attrs.get('cn'), ['g']);
    assert.equal(h!.packed, undefined, 'packing ends with the search that asked for it');
    assert.deepEqual(h!.attrs.get('member'), ['uid=b,dc=x']);
  });

  test('keyed entries: a hash of their bytes without the change stamp; partial decoding, completed on demand', () => {
    const parser = new MessageParser();
    const entries: LdapEntry[] = [];
    parser.on('message', (m) => void entries.push(toLdapEntry((m as SearchEntry).toObject([], ['objectGUID']))));
    const client = { messageParser: parser } as unknown as Client;
    installFastEntryReader(client);
    const read = (b: Buffer): void => (parser as unknown as { read(d: Buffer, m: Map<string, unknown>): void }).read(b, new Map());
    const attrs = (stamp: string, office: string): Attr[] => [['uid', ['zoe']], ['objectGUID', [guid]], ['modifyTimestamp', [stamp]], ['physicalDeliveryOfficeName', [office]], ...tricky.slice(2)];
    const bytes = encodeEntry(8, 'uid=zoe,dc=x', attrs('20260101000000Z', 'Annex'));
    setEntryKeying(client, { unkeyed: new Set(['modifytimestamp']), eager: new Set(['uid', 'objectguid', 'modifytimestamp']) });
    read(bytes);
    read(encodeEntry(9, 'uid=zoe,dc=x', attrs('20270101000000Z', 'Annex')));
    read(encodeEntry(10, 'uid=zoe,dc=x', attrs('20260101000000Z', 'Annexe')));
    read(encodeEntry(11, 'uid=zoë,dc=x', attrs('20260101000000Z', 'Annex')));
    setEntryKeying(client, null);
    read(bytes);
    const [a, newStamp, newOffice, newDn, plain] = entries;
    assert.ok(Number.isSafeInteger(a!.rawHash));
    assert.equal(newStamp!.rawHash, a!.rawHash, 'the change stamp is not part of the hash');
    assert.notEqual(newOffice!.rawHash, a!.rawHash);
    assert.notEqual(newDn!.rawHash, a!.rawHash);
    assert.equal(plain!.rawHash, undefined, 'keying ends with the search that asked for it');
    assert.deepEqual([...a!.attrs.keys()], ['uid', 'objectguid', 'modifytimestamp'], 'only the eager attributes are decoded at first');
    assert.ok(Buffer.isBuffer(a!.attrs.get('objectguid')![0]));
    const full = completeEntry(a!);
    assert.equal(full.rawHash, a!.rawHash);
    assert.equal(full.rest, undefined);
    assert.deepEqual({ ...full, rawHash: undefined }, { ...plain!, rawHash: undefined }, 'completed, the entry is what a plain read makes of it');
    assert.equal(completeEntry(plain!), plain, 'a whole entry is returned as it is');
  });
});
