import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FirstIndex } from './first-index.ts';

describe('FirstIndex', () => {
  test('claims the first holder of each string and reports later ones, like a Map would', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `user${i % 40_000}`);
    const idx = new FirstIndex(keys.length, (i) => keys[i]!);
    const map = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) {
      const expected = map.get(keys[i]!) ?? -1;
      if (expected < 0) map.set(keys[i]!, i);
      assert.equal(idx.claim(i), expected);
    }
    assert.equal(idx.find('user39999'), 39_999);
    assert.equal(idx.find('user40000'), -1);
    assert.equal(idx.find(''), -1);
  });

  test('strings that differ only in case or Unicode form are different strings', () => {
    const keys = ['Zoë', 'zoë', 'Zoe\u0308', 'Zoë'];
    const idx = new FirstIndex(keys.length, (i) => keys[i]!);
    assert.deepEqual(keys.map((_, i) => idx.claim(i)), [-1, -1, -1, 0]);
  });
});
