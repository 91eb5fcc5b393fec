import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExactDnIndex } from './dn-index.ts';

test('ExactDnIndex: DNs as read, by string or by raw bytes; other spellings are misses, not wrong answers', () => {
  const dns = ['uid=a,ou=people,dc=x', 'CN=Zoë Ångström,OU=Staff,DC=x', 'uid=b,ou=people,dc=x', 'uid=a,ou=people,dc=x'];
  const ix = new ExactDnIndex(dns);
  const bytes = (s: string): [Buffer, number, number] => {
    const b = Buffer.concat([Buffer.from('xx'), Buffer.from(s, 'utf8'), Buffer.from('yy')]);
    return [b, 2, b.length - 2];
  };
  assert.equal(ix.byString('uid=b,ou=people,dc=x'), 2);
  assert.equal(ix.byBytes(...bytes('uid=b,ou=people,dc=x')), 2);
  assert.equal(ix.byString('uid=a,ou=people,dc=x'), 0, 'the first of two equal DNs');
  assert.equal(ix.byBytes(...bytes('uid=a,ou=people,dc=x')), 0);
  assert.equal(ix.byString('CN=Zoë Ångström,OU=Staff,DC=x'), 1, 'non-ASCII DNs by string');
  assert.equal(ix.byBytes(...bytes('CN=Zoë Ångström,OU=Staff,DC=x')), 1, 'non-ASCII DNs by their bytes too');
  assert.equal(ix.byString('UID=b,ou=people,dc=x'), undefined);
  assert.equal(ix.byBytes(...bytes('uid=b,ou=people,dc=')), undefined);
  assert.equal(ix.byBytes(...bytes('uid=c,ou=people,dc=x')), undefined);
});
