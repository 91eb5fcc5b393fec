import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEntry } from './entry.ts';
import { findRange, parseRangedDescription } from './ranged.ts';

describe('range descriptions (MS-ADTS 3.1.1.3.1.3.3)', () => {
  test('parses', () => {
    assert.deepEqual(parseRangedDescription('member;range=0-1499'), { attr: 'member', low: 0, high: 1499 });
    assert.deepEqual(parseRangedDescription('member;range=3000-*'), { attr: 'member', low: 3000, high: '*' });
    assert.deepEqual(parseRangedDescription('userCertificate;binary;range=0-9'), { attr: 'userCertificate;binary', low: 0, high: 9 });
    assert.equal(parseRangedDescription('member'), undefined);
  });
  test('findRange is case-insensitive and ignores other attributes', () => {
    const e = makeEntry('cn=g', { cn: 'g', 'Member;Range=0-1499': ['a'] });
    assert.deepEqual(findRange(e, 'MEMBER'), { key: 'member;range=0-1499', low: 0, high: 1499 });
    assert.equal(findRange(e, 'cn'), undefined);
  });
});
