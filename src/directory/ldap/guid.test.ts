import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEntry } from './entry.ts';
import { edirGuidFromString, edirGuidToString, objectGuidFromString, objectGuidToString, stableIdOf } from './guid.ts';

// Example from MS documentation style: bytes as stored vs. the string Windows prints.
const BYTES = Buffer.from('6f9619ff8b86d011b42d00c04fc964ff', 'hex');
const TEXT = 'ff19966f-868b-11d0-b42d-00c04fc964ff';

describe('objectGUID', () => {
  test('bytes → Windows string (mixed endian) and back', () => {
    assert.equal(objectGuidToString(BYTES), TEXT);
    assert.deepEqual(objectGuidFromString(TEXT), BYTES);
    assert.deepEqual(objectGuidFromString(`{${TEXT.toUpperCase()}}`), BYTES);
  });
  test('rejects wrong lengths and junk', () => {
    assert.throws(() => objectGuidToString(Buffer.alloc(15)), { code: 'ldap.invalid_guid' });
    assert.throws(() => objectGuidFromString('nope'), { code: 'ldap.invalid_guid' });
  });
});

describe('eDirectory GUID and entryUUID', () => {
  test('eDirectory GUID is straight hex', () => {
    assert.equal(edirGuidToString(BYTES), '6f9619ff-8b86-d011-b42d-00c04fc964ff');
    assert.deepEqual(edirGuidFromString('6f9619ff-8b86-d011-b42d-00c04fc964ff'), BYTES);
  });
  test('stableIdOf per attribute', () => {
    const e = makeEntry('cn=x', { objectGUID: BYTES, GUID: BYTES, entryUUID: 'A1B2C3D4-0000-1111-2222-333344445555' });
    assert.equal(stableIdOf(e, 'objectGUID'), TEXT);
    assert.equal(stableIdOf(e, 'GUID'), '6f9619ff-8b86-d011-b42d-00c04fc964ff');
    assert.equal(stableIdOf(e, 'entryUUID'), 'a1b2c3d4-0000-1111-2222-333344445555');
    assert.equal(stableIdOf(makeEntry('cn=x', {}), 'objectGUID'), undefined);
    assert.equal(stableIdOf(makeEntry('cn=x', { objectGUID: TEXT }), 'objectGUID'), TEXT);
  });
});
