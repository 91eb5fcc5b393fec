import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ENTRY_MAPPING_VERSION, MAPPING_SOURCES, entryKeySeed } from './entry-keys.ts';
import type { LdapSource } from './ldap-source.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The mapping code as of ENTRY_MAPPING_VERSION (sha256 of MAPPING_SOURCES one after the other, first 16 hex digits).
 * When this test fails: if what an unchanged directory entry maps to has changed (a field, a conversion, the
 * disabled rule, the reader's decoding), bump ENTRY_MAPPING_VERSION, so that stored keys stop vouching for rows
 * mapped the old way; then record the new hash here either way.
 */
const RECORDED = { version: 1, sources: '4e47057419b623f6' };

describe('entry key seed', () => {
  test('the mapping code is the one ENTRY_MAPPING_VERSION stands for', () => {
    const hash = createHash('sha256').update(Buffer.concat(MAPPING_SOURCES.map((f) => readFileSync(`${ROOT}${f}`)))).digest('hex').slice(0, 16);
    assert.equal(`${ENTRY_MAPPING_VERSION}:${hash}`, `${RECORDED.version}:${RECORDED.sources}`,
      'The code that maps directory entries changed: bump ENTRY_MAPPING_VERSION in entry-keys.ts if unchanged entries now map differently, and record the new hash in this test.');
  });

  test('the seed follows the settings and the PIN key, not the connection', () => {
    const src = { name: 'primary', schema: { usernameAttr: 'uid' }, cardSteps: [], connection: { hosts: ['a'], bindPassword: 'x' } } as unknown as LdapSource;
    const seed = entryKeySeed(src, 'k');
    assert.ok(Number.isSafeInteger(seed) && seed >= 0);
    assert.equal(entryKeySeed({ ...src, connection: { hosts: ['b'], bindPassword: 'y' } } as unknown as LdapSource, 'k'), seed);
    assert.notEqual(entryKeySeed({ ...src, schema: { usernameAttr: 'cn' } } as unknown as LdapSource, 'k'), seed);
    assert.notEqual(entryKeySeed({ ...src, cardSteps: [{ op: 'pad', n: 8 }] } as unknown as LdapSource, 'k'), seed);
    assert.notEqual(entryKeySeed(src, 'other'), seed);
  });
});
