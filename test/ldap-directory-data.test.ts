/**
 * The deterministic test-directory generator (test/harness/directory-data.ts): same options, same bytes;
 * valid LDIF (RFC 2849 base64 where needed); memberships consistent both ways; streams 100k users to a file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDirectory, ldifLine } from './harness/directory-data.ts';
import { parseDn } from '../src/directory/ldap/escape.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('generateDirectory', () => {
  const opts = { baseDn: 'dc=example,dc=com', users: 500, groups: 40, nested: true, bigGroup: true, unicode: true, disabledEvery: 7, membershipsPerUser: 3 };

  test('is deterministic', () => {
    assert.equal(sha(generateDirectory(opts).toLdif()), sha(generateDirectory(opts).toLdif()));
  });

  test('writes one block per entry, base64 for non-ASCII, parseable DNs', () => {
    const d = generateDirectory(opts);
    const ldif = d.toLdif();
    const blocks = ldif.split('\n\n').filter((b) => b.trim());
    assert.equal(blocks.length, d.entryCount);
    for (const b of blocks) {
      const line = b.split('\n')[0] ?? '';
      const dn = line.startsWith('dn:: ') ? Buffer.from(line.slice(5), 'base64').toString('utf8') : line.slice(4);
      parseDn(dn);
    }
    assert.ok(ldif.includes(ldifLine('dn', d.user(5).dn)));
    assert.match(ldifLine('cn', 'José'), /^cn:: /);
    assert.match(ldifLine('cn', ' leading'), /^cn:: /);
    assert.equal(ldifLine('cn', 'plain'), 'cn: plain\n');
    assert.equal(d.user(1).dn, 'cn=Smith\\, John,ou=people,dc=example,dc=com');
    assert.equal(d.user(7).cn, '李小龍');
  });

  test('memberships agree in both directions; the nested cycle exists', () => {
    const d = generateDirectory(opts);
    const groups = d.groups();
    for (let i = 0; i < opts.users; i++) {
      for (const g of d.userGroupIndexes(i)) assert.ok(groups[g]?.userMembers.includes(i));
    }
    const total = groups.slice(0, opts.groups).reduce((n, g) => n + g.userMembers.length, 0);
    assert.equal(total, opts.users * opts.membershipsPerUser);
    const a = groups.find((g) => g.cn === 'cycle-a');
    const b = groups.find((g) => g.cn === 'cycle-b');
    assert.ok(a && b && a.groupMembers.includes(b.dn) && b.groupMembers.includes(a.dn));
    assert.equal(groups.find((g) => g.cn === 'all-users')?.userMembers.length, opts.users);
    assert.deepEqual([...new Set(groups.map((g) => g.kind))].sort(), ['groupOfNames', 'groupOfUniqueNames', 'posixGroup']);
  });

  test('streams 100,000 users and 5,000 groups to a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spool-gen-'));
    try {
      const d = generateDirectory({ baseDn: 'dc=example,dc=com', users: 100_000, groups: 5_000 });
      const path = join(dir, 'big.ldif');
      await d.writeLdif(path);
      const text = await readFile(path, 'utf8');
      assert.equal(text.match(/^dn:/gm)?.length, d.entryCount);
      assert.equal(d.entryCount, 2 + 100_000 + 5_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
