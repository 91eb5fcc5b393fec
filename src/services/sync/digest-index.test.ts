import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DigestIndex } from './digest-index.ts';

test('DigestIndex: each digest yields its id once; duplicates refused; untaken ids listed', () => {
  const ix = new DigestIndex(4);
  const big = 2 ** 52 + 12345;
  // Same low 32 bits: they share a first slot and must probe past each other.
  const twin = big + 2 ** 32;
  assert.equal(ix.add(big, 1), true);
  assert.equal(ix.add(twin, 2), true);
  assert.equal(ix.add(7, 3), true);
  assert.equal(ix.add(big, 9), false, 'a second row with one digest is refused');
  assert.equal(ix.take(twin), 2);
  assert.equal(ix.take(twin), undefined, 'taken once only');
  assert.equal(ix.take(big), 1, 'found past a taken slot');
  assert.equal(ix.take(123), undefined);
  assert.deepEqual(ix.untaken(), [3]);
  assert.equal(ix.hasUntaken(), true);
  ix.take(7);
  assert.equal(ix.hasUntaken(), false);
  assert.equal(new DigestIndex(0).hasUntaken(), false, 'an empty index (a first sync)');
});

test('DigestIndex: 100,000 random digests', () => {
  const ix = new DigestIndex(100_000);
  const keys = Array.from({ length: 100_000 }, () => Math.floor(Math.random() * 2 ** 53));
  keys.forEach((k, i) => ix.add(k, i + 1));
  let found = 0;
  keys.forEach((k, i) => (ix.take(k) === i + 1 ? found++ : 0));
  assert.equal(found, new Set(keys).size);
  assert.deepEqual(ix.untaken(), []);
});
