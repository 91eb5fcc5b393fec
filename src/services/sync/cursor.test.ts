import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedSinceClause, parseRunCursor } from './cursor.ts';
import { parseMemberList } from './store-snapshot.ts';

test('uSNChanged: strictly after the watermark, only on the same domain controller', () => {
  const c = { attr: 'uSNChanged' as const, value: '41999', url: 'ldaps://dc1:636', durationMs: 5000 };
  assert.deepEqual(changedSinceClause(c, 'uSNChanged', 'ldaps://dc1:636'), { clause: '(uSNChanged>=42000)' });
  assert.match((changedSinceClause(c, 'uSNChanged', 'ldaps://dc2:636') as { reason: string }).reason, /per domain controller/);
});

test('modifyTimestamp: from the newest change seen, minus the previous run and a margin', () => {
  const c = { attr: 'modifyTimestamp' as const, value: '20260301120000Z', url: 'ldap://x', durationMs: 50_000 };
  assert.deepEqual(changedSinceClause(c, 'modifyTimestamp', 'ldap://y'), { clause: '(modifyTimestamp>=20260301115900Z)' });
});

test('no incremental sync without a cursor, a change attribute, or a readable watermark', () => {
  assert.ok('reason' in changedSinceClause(undefined, 'modifyTimestamp', 'u'));
  assert.ok('reason' in changedSinceClause({ attr: 'modifyTimestamp', value: 'x', url: 'u', durationMs: 0 }, null, 'u'));
  assert.ok('reason' in changedSinceClause({ attr: 'modifyTimestamp', value: 'garbage', url: 'u', durationMs: 0 }, 'modifyTimestamp', 'u'));
  assert.ok('reason' in changedSinceClause({ attr: 'uSNChanged', value: '1', url: 'u', durationMs: 0 }, 'modifyTimestamp', 'u'));
  assert.deepEqual(parseRunCursor('not json'), {});
  assert.deepEqual(parseRunCursor(null), {});
});

test('aggregated member lists parse without a string per member', () => {
  const m = parseMemberList('25,26,15');
  assert.deepEqual([Array.from(m.userIds), Array.from(m.direct)], [[12, 13, 7], [1, 0, 1]]);
  assert.equal(parseMemberList('').userIds.length, 0);
});
