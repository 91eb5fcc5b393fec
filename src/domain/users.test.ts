import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNormalizedUsername, isValidUsername, normalizeUsername } from './users.ts';

test('usernames are lower-cased and NFC-normalised', () => {
  assert.equal(normalizeUsername('JSmith'), 'jsmith');
  assert.equal(normalizeUsername('  Zoë.O\'Brien '), "zoë.o'brien");
  assert.equal(normalizeUsername('Jose\u0301'), 'josé');
  assert.equal(normalizeUsername('李雷'), '李雷');
  assert.equal(normalizeUsername('first.last@example.edu'), 'first.last@example.edu');
});

test('invalid usernames are refused with a clear code', () => {
  for (const bad of ['', ' ', 'a\u0000b', 'tab\there', 'a/b', 'x'.repeat(300), '<script>', 'semi;colon']) {
    assert.throws(() => normalizeUsername(bad), { code: 'users.invalid_username' }, JSON.stringify(bad));
  }
});

test('isNormalizedUsername answers as isValidUsername does for names already normalised', () => {
  const names = ['jsmith', 'j.smith@example.org', "o'brien", 'a', 'zoë', 'müller-lüdenscheid', 'δημήτρης', '王伟', 'user 1', ' lead', 'trail ', 'semi;colon', 'x'.repeat(256), 'x'.repeat(257), '', 'tab\tname', '$svc+1_'];
  for (const n of names.filter((x) => x === x.normalize('NFC').trim().toLowerCase())) assert.equal(isNormalizedUsername(n), isValidUsername(n), JSON.stringify(n));
  assert.equal(isNormalizedUsername(' lead'), false, 'an untrimmed name is not a normalised one');
});
