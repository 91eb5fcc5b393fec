import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyCardTransform, cardTransformProblem, parseCardTransform } from './card-transform.ts';

const conv = (spec: string, v: string): string | null => applyCardTransform(v, parseCardTransform(spec));

describe('card number conversions', () => {
  test('each step', () => {
    assert.equal(conv('hex-to-dec', '0004A3F2'), '304114');
    assert.equal(conv('hex-to-dec', '0xff'), '255');
    assert.equal(conv('dec-to-hex', '304114'), '4a3f2');
    assert.equal(conv('dec-to-hex|upper|pad:8', '304114'), '0004A3F2');
    assert.equal(conv('strip-prefix:ID-', 'id-12345'), '12345');
    assert.equal(conv('strip-prefix:ID-', '12345'), '12345', 'no prefix: unchanged');
    assert.equal(conv('strip-suffix:/1', '777/1'), '777');
    assert.equal(conv('trim-leading-zeros', '000120'), '120');
    assert.equal(conv('trim-leading-zeros', '0000'), '0');
    assert.equal(conv('lower', 'ABC'), 'abc');
    assert.equal(conv('', '  42  '), '42');
  });
  test('huge values stay exact (BigInt, no float rounding)', () => {
    assert.equal(conv('hex-to-dec', 'FFFFFFFFFFFFFFFFFF'), '4722366482869645213695');
  });
  test('empty values mean no card', () => {
    assert.equal(conv('hex-to-dec', '   '), null);
    assert.equal(conv('strip-prefix:X', 'X'), null);
  });
  test('a value a step cannot convert fails with a clear message', () => {
    assert.throws(() => conv('hex-to-dec', '12G4'), { code: 'sync.card_conversion_failed', message: /"12G4" is not hexadecimal/ });
    assert.throws(() => conv('dec-to-hex', '12a'), { code: 'sync.card_conversion_failed' });
  });
  test('a bad spec names the step', () => {
    assert.throws(() => parseCardTransform('hex-to-dec|reverse'), { code: 'sync.invalid_card_transform', message: /"reverse"/ });
    assert.throws(() => parseCardTransform('pad:0'), { code: 'sync.invalid_card_transform' });
    assert.throws(() => parseCardTransform('strip-prefix:'), { code: 'sync.invalid_card_transform' });
    assert.match(cardTransformProblem('pad:x') ?? '', /pad:x/);
    assert.equal(cardTransformProblem('hex-to-dec | pad:10'), null);
  });
});
