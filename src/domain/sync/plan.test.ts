import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_DETAILS, detailsFingerprint, entryKey, sameRecordOf } from './fingerprint.ts';
import { planSync } from './plan.ts';
import type { PlanOptions, SourceGroup, SourceSnapshot, SourceUser, StoreGroup, StoreSnapshot, StoreUser } from './types.ts';

const NOW = new Date('2026-03-01T00:00:00Z');
const OPT: PlanOptions = {
  sourceName: 'primary', mode: 'full', importDisabled: false, updateDetails: true, missingUsers: 'disable',
  deleteAfterDays: 30, deleteProtectionPercent: 10, allowMassDelete: false, now: NOW,
};

function su(name: string, sid = `sid-${name}`, over: Partial<SourceUser> = {}): SourceUser {
  return {
    sourceId: sid, username: name, usernameAlias: null, dn: `uid=${name},dc=x`, disabled: false,
    details: { fullName: name.toUpperCase(), email: `${name}@x`, otherEmails: [], department: null, office: null, cardNumber: null, cardNumber2: null, homeDir: null },
    ...over,
  };
}

/** The store row that a previous sync of `u` would have written. */
function stored(id: number, u: SourceUser, over: Partial<StoreUser> = {}): StoreUser {
  return {
    id, username: u.username, usernameAlias: u.usernameAlias, source: 'ldap', sourceName: 'primary', sourceId: u.sourceId, dn: u.dn,
    fingerprint: detailsFingerprint(u.details), cardNumber: u.details.cardNumber, cardNumber2: u.details.cardNumber2, pinHash: u.pinHash ?? null,
    disabled: false, disabledReason: null, disabledAt: null, ...over,
  };
}

const src = (users: SourceUser[], groups: SourceGroup[] | null = null, over: Partial<SourceSnapshot> = {}): SourceSnapshot =>
  ({ users, groups, protectedSourceIds: new Set(), protectedGroupIds: new Set(), issues: [], ...over });
const st = (users: StoreUser[], groups: StoreGroup[] = [], memberships = new Map()): StoreSnapshot => ({ users, groups, memberships });

/** Twenty users synced earlier, all unchanged: a base for the cases below. */
const base = Array.from({ length: 20 }, (_, i) => su(`u${i}`));
const baseStore = base.map((u, i) => stored(i + 1, u));
const sameRecord = (u: SourceUser, id: number): SourceUser => sameRecordOf(u.sourceId, u.username, u.usernameAlias, u.dn, u.disabled, id, u.digest);
/** A stand-in for the reader's entryKey: differs whenever the record does. */
const digestOf = (u: SourceUser): number => entryKey(detailsFingerprint(u.details), u.disabled, detailsFingerprint({ ...u.details, fullName: `${u.sourceId}|${u.username}|${u.dn ?? ''}` }));

describe('planSync: directory PINs', () => {
  test('a new, changed or removed PIN is written; the same PIN, or PINs not synced, change nothing', () => {
    const store = base.map((u, i) => stored(i + 1, u, i === 1 ? { pinHash: 'old' } : i === 2 ? { pinHash: 'same' } : {}));
    const users = base.map((u, i) => (i === 0 ? { ...u, pinHash: 'new' } : i === 1 ? { ...u, pinHash: null } : i === 2 ? { ...u, pinHash: 'same' } : u));
    const p = planSync(src(users), st(store), OPT);
    assert.deepEqual(p.userUpdates.map((x) => [x.user.username, x.writePin, x.changes]), [['u0', true, ['pin']], ['u1', true, ['pin']]]);
    assert.equal(p.userUpdates[1]!.user.pinHash, null);
    assert.equal(p.counts.users.unchanged, 18);
  });
});

describe('planSync: users', () => {
  test('first sync adds everyone; a second sync of the same source changes nothing', () => {
    const p1 = planSync(src(base), st([]), OPT);
    assert.equal(p1.counts.users.added, 20);
    assert.equal(p1.userAdds[0]!.ref, -1);
    const p2 = planSync(src(base), st(baseStore), OPT);
    assert.deepEqual(p2.counts.users, { added: 0, updated: 0, renamed: 0, disabled: 0, deleted: 0, unchanged: 20, skipped: 0 });
    assert.equal(p2.userUpdates.length + p2.userAdds.length + p2.userDisables.length, 0);
  });

  test('"same" records (digest equal to the stored one) need no stored row, are unchanged and never write details', () => {
    const withDigest = base.map((u) => ({ ...u, digest: digestOf(u) }));
    const same = withDigest.map((u, i) => sameRecord(u, baseStore[i]!.id));
    assert.ok(same.every((u) => u.sameId !== undefined && u.details === NO_DETAILS));
    const p = planSync(src(same), st([]), OPT);
    assert.deepEqual(p.counts.users, { added: 0, updated: 0, renamed: 0, disabled: 0, deleted: 0, unchanged: 20, skipped: 0 });
    assert.equal(p.digestRefresh.length, 0, 'a confirmed row needs no new digest');
    // Mixed with whole records and rows: a new entry cannot take a confirmed user's name, a changed one is updated,
    // a row not confirmed and not in the directory is disabled.
    const mixed = [...same.slice(0, 18), { ...base[18]!, details: { ...base[18]!.details, office: 'Annex' } }, { ...base[19]!, sourceId: 'new-id', username: 'u0', dn: 'uid=x,dc=x' }];
    const m = planSync(src(mixed), st(baseStore.slice(18)), OPT);
    assert.equal(m.counts.users.unchanged, 17, 'u0 is claimed twice: neither record is used');
    assert.equal(m.counts.users.skipped, 2);
    assert.deepEqual(m.userUpdates.map((x) => x.user.username), ['u18']);
    assert.deepEqual(m.userDisables.map((x) => x.username), ['u19']);
    assert.ok(m.issues.some((i) => i.code === 'sync.duplicate_username'));
    // The delete-protection share counts confirmed rows too: 1 of 20 missing is 5%, under the 10% default.
    assert.equal(m.stopped, null);
  });

  test('a "same" record listed twice (two base DNs) yields its row once; the row stays matched', () => {
    const u = { ...base[0]!, digest: digestOf(base[0]!) };
    const p = planSync(src([{ ...u, dn: 'uid=u0,ou=other,dc=x' }, sameRecord(u, 1), ...base.slice(1).map((x, i) => sameRecord({ ...x, digest: 1 }, i + 2))]), st([]), OPT);
    assert.equal(p.counts.users.added, 0, 'the whole record matches the row the unusable "same" record stands for');
    // The row's details are not known from a "same" record: the matching record writes its own (the directory's).
    assert.ok(p.userUpdates.length === 1 && p.userUpdates[0]!.changes.includes('dn'));
    assert.equal(p.userDisables.length, 0);
  });

  test('digests: stored with every add and update; unchanged rows without one get it as bookkeeping', () => {
    const withDigest = base.map((u) => ({ ...u, digest: digestOf(u) }));
    const first = planSync(src(withDigest), st([]), OPT);
    assert.ok(first.userAdds.every((a, i) => a.user.digest === withDigest[i]!.digest));
    const again = planSync(src(withDigest), st(baseStore), OPT);
    assert.deepEqual(again.digestRefresh, withDigest.map((u, i) => [baseStore[i]!.id, u.digest]));
    assert.equal(again.counts.users.unchanged, 20);
    const moved = { ...withDigest[4]!, details: { ...withDigest[4]!.details, office: 'Annex' } };
    moved.digest = digestOf(moved);
    const upd = planSync(src(withDigest.map((u, i) => (i === 4 ? moved : u))), st(baseStore), OPT);
    assert.equal(upd.userUpdates[0]!.digest, moved.digest);
    // A user an admin disabled stays disabled: the row is not what the entry says.
    const adminDisabled = planSync(src(withDigest), st(baseStore.map((x, i) => (i === 5 ? { ...x, disabled: true, disabledReason: 'admin' } : x))), OPT);
    assert.equal(adminDisabled.digestRefresh.some(([id]) => id === baseStore[5]!.id), false);
  });

  test('entryKey: a different hash, disabled state or seed is a different key', () => {
    const k = entryKey(12345, false, 777);
    for (const other of [entryKey(12346, false, 777), entryKey(12345, true, 777), entryKey(12345, false, 778)]) assert.notEqual(other, k);
    assert.equal(entryKey(12345, false, 777), k);
    assert.ok(Number.isSafeInteger(k) && k >= 0);
  });

  test('same stable id with a new username is a rename of the same account', () => {
    const users = base.map((u, i) => (i === 3 ? { ...u, username: 'renamed', dn: 'uid=renamed,dc=x' } : u));
    const p = planSync(src(users), st(baseStore), OPT);
    assert.equal(p.counts.users.renamed, 1);
    assert.equal(p.counts.users.added, 0);
    assert.equal(p.userDisables.length, 0);
    const up = p.userUpdates[0]!;
    assert.equal(up.id, 4);
    assert.equal(up.from, 'u3');
    assert.equal(up.user.username, 'renamed');
    assert.deepEqual(up.changes, ['username', 'dn']);
  });

  test('a rename swap between two users is planned (the applier goes through temporary names)', () => {
    const users = base.map((u, i) => (i === 0 ? { ...u, username: 'u1' } : i === 1 ? { ...u, username: 'u0' } : u));
    const p = planSync(src(users), st(baseStore), OPT);
    assert.equal(p.counts.users.renamed, 2);
    assert.equal(p.issues.filter((x) => x.level === 'error').length, 0);
  });

  test('changed details, card numbers and alias are updates; a failed card conversion keeps the stored card', () => {
    const users = base.map((u, i) => (i === 0 ? { ...u, details: { ...u.details, department: 'Sales' } } : i === 1 ? { ...u, usernameAlias: 'alias1' } : i === 2 ? { ...u, keepCard: true } : u));
    const store = baseStore.map((s, i) => (i === 2 ? { ...s, cardNumber: '777' } : s));
    const p = planSync(src(users), st(store), OPT);
    assert.equal(p.counts.users.updated, 2);
    assert.deepEqual(p.userUpdates.map((u) => u.changes), [['details'], ['usernameAlias']]);
    const noDetails = planSync(src(users), st(store), { ...OPT, updateDetails: false });
    assert.deepEqual(noDetails.userUpdates.map((u) => u.changes), [['usernameAlias']], 'update-details=false still syncs identity fields');
  });

  test('a user removed from the directory is disabled (default policy), never deleted', () => {
    const p = planSync(src(base.slice(1)), st(baseStore), OPT);
    assert.deepEqual(p.userDisables, [{ id: 1, username: 'u0', reason: 'missing-from-source' }]);
    assert.equal(p.userDeletes.length, 0);
    assert.equal(p.counts.users.disabled, 1);
    assert.equal(p.stopped, null);
  });

  test('missing users: keep does nothing; delete removes only after N days disabled', () => {
    assert.equal(planSync(src(base.slice(1)), st(baseStore), { ...OPT, missingUsers: 'keep' }).userDisables.length, 0);
    const store = baseStore.map((s, i) =>
      i === 0 ? { ...s, disabled: true, disabledReason: 'missing-from-source', disabledAt: '2026-01-01T00:00:00Z' }
        : i === 1 ? { ...s, disabled: true, disabledReason: 'missing-from-source', disabledAt: '2026-02-20T00:00:00Z' } : s);
    const p = planSync(src(base.slice(2)), st(store), { ...OPT, missingUsers: 'delete' });
    assert.deepEqual(p.userDeletes, [{ id: 1, username: 'u0' }]);
    assert.equal(p.userDisables.length, 0, 'u1 is already disabled, not yet 30 days');
  });

  test('directory-disabled users: existing ones are disabled, new ones are imported only when asked', () => {
    const users = [...base.map((u, i) => (i === 5 ? { ...u, disabled: true } : u)), su('newdis', 'sid-nd', { disabled: true })];
    const p = planSync(src(users), st(baseStore), OPT);
    assert.equal(p.counts.users.disabled, 1);
    assert.equal(p.userUpdates[0]!.disable, true);
    assert.equal(p.counts.users.added, 0);
    assert.equal(planSync(src(users), st(baseStore), { ...OPT, importDisabled: true }).counts.users.added, 1);
    // Back enabled in the directory: re-enabled; an admin's own disable is left alone.
    const store = baseStore.map((s, i) => (i === 5 ? { ...s, disabled: true, disabledReason: 'source' } : i === 6 ? { ...s, disabled: true, disabledReason: 'admin' } : s));
    const back = planSync(src(base), st(store), OPT);
    assert.equal(back.userUpdates.length, 1);
    assert.equal(back.userUpdates[0]!.enable, true);
  });

  test('two entries with one username are reported, neither wins, neither is disabled as missing', () => {
    const users = [...base.map((u, i) => (i === 7 ? { ...u, username: 'clash' } : u)), su('clash', 'sid-other')];
    const store = baseStore.map((s, i) => (i === 7 ? { ...s, username: 'clash' } : s));
    const p = planSync(src(users), st(store), OPT);
    const issue = p.issues.find((x) => x.code === 'sync.duplicate_username');
    assert.ok(issue);
    assert.match(issue.message, /uid=u7,dc=x \| uid=clash,dc=x/);
    assert.equal(p.counts.users.added, 0);
    assert.equal(p.counts.users.skipped, 2);
    assert.equal(p.userDisables.length, 0);
  });

  test('entries that failed to map are protected from the missing-users policy', () => {
    const p = planSync(src(base.slice(1), null, { protectedSourceIds: new Set(['sid-u0']) }), st(baseStore), OPT);
    assert.equal(p.userDisables.length, 0);
  });

  test('internal and SCIM users are never touched; a directory user with their name is reported', () => {
    const internal: StoreUser = { ...stored(100, su('boss')), source: 'internal', sourceName: null, sourceId: null };
    const scim: StoreUser = { ...stored(101, su('cloud')), source: 'scim', sourceName: 'scim', sourceId: 'scim-1' };
    const p = planSync(src([...base, su('boss', 'sid-boss2')]), st([...baseStore, internal, scim]), OPT);
    assert.equal(p.counts.users.added, 0);
    assert.equal(p.counts.users.skipped, 1);
    assert.match(p.issues.find((x) => x.code === 'sync.username_taken')!.message, /internal user/);
    assert.ok(!p.userDisables.some((d) => d.id >= 100));
    // Renaming onto an internal name keeps the old name.
    const ren = planSync(src(base.map((u, i) => (i === 0 ? { ...u, username: 'boss' } : u))), st([...baseStore, internal]), OPT);
    assert.equal(ren.counts.users.renamed, 0);
    assert.ok(ren.issues.some((x) => x.code === 'sync.rename_conflict'));
  });

  test('a re-created account (new stable id, same username) takes over the old user in a full sync', () => {
    const users = base.map((u, i) => (i === 2 ? { ...u, sourceId: 'sid-new' } : u));
    const p = planSync(src(users), st(baseStore), OPT);
    assert.equal(p.counts.users.added, 0);
    assert.equal(p.userUpdates[0]!.relink, true);
    assert.equal(p.userUpdates[0]!.id, 3);
    assert.equal(p.userDisables.length, 0);
  });

  test('primary and secondary: the primary wins a username found in both', () => {
    const sec = (u: StoreUser): StoreUser => ({ ...u, sourceName: 'secondary' });
    const fromSecondary = planSync(src([su('both', 'p-1')]), st([sec(stored(1, su('both', 's-1')))]), OPT);
    assert.equal(fromSecondary.userUpdates[0]!.relink, true, 'the primary takes the user over');
    const secondaryRun = planSync(src([su('both', 's-1')]), st([stored(1, su('both', 'p-1'))]), { ...OPT, sourceName: 'secondary' });
    assert.equal(secondaryRun.counts.users.added, 0);
    assert.equal(secondaryRun.userUpdates.length, 0);
    assert.ok(secondaryRun.issues.some((x) => x.code === 'sync.primary_wins'));
    // The primary's missing-user policy never touches the secondary's users.
    assert.equal(planSync(src([]), st([sec(stored(1, su('x')))]), OPT).userDisables.length, 0);
  });

  test('delete protection stops a sync that would remove more than the limit, unless allowed', () => {
    const p = planSync(src(base.slice(3)), st(baseStore), OPT);
    assert.equal(p.stopped?.code, 'sync.delete_protection');
    assert.match(p.stopped!.message, /3 of the 20 users from this directory \(15%\).*10%/);
    assert.equal(planSync(src(base.slice(2)), st(baseStore), OPT).stopped, null, 'exactly 10% is allowed');
    const allowed = planSync(src(base.slice(3)), st(baseStore), { ...OPT, allowMassDelete: true });
    assert.equal(allowed.stopped, null);
    assert.equal(allowed.userDisables.length, 3);
    assert.equal(planSync(src(base.slice(3)), st(baseStore), { ...OPT, deleteProtectionPercent: 0 }).stopped, null);
  });

  test('a source that returns no users stops even with protection at 0%', () => {
    const p = planSync(src([]), st(baseStore), { ...OPT, deleteProtectionPercent: 0 });
    assert.equal(p.stopped?.code, 'sync.source_empty');
    assert.equal(planSync(src([]), st([]), OPT).stopped, null, 'an empty store has nothing to protect');
  });

  test('incremental: no missing-user handling, only the changed entries', () => {
    const p = planSync(src([{ ...base[0]!, details: { ...base[0]!.details, office: 'HQ' } }]), st(baseStore), { ...OPT, mode: 'incremental' });
    assert.equal(p.counts.users.updated, 1);
    assert.equal(p.userDisables.length, 0);
    assert.equal(p.stopped, null);
  });
});

describe('planSync: groups and memberships', () => {
  const g = (name: string, members: number[], direct = members.map(() => 1)): SourceGroup => ({ sourceId: `g-${name}`, name, dn: `cn=${name},dc=x`, members, direct });
  const sg = (id: number, name: string, over: Partial<StoreGroup> = {}): StoreGroup =>
    ({ id, name, source: 'ldap', sourceName: 'primary', sourceId: `g-${name}`, dn: `cn=${name},dc=x`, initialCreditCents: null, initialRestricted: null, ...over });

  test('new groups and members reference new users by ref', () => {
    const p = planSync(src([su('a'), su('b')], [g('staff', [0, 1], [1, 0])]), st([]), OPT);
    assert.equal(p.counts.groups.added, 1);
    assert.deepEqual(p.memberships[0], { group: -1, groupName: 'staff', add: [-1, -2], addDirect: [1, 0], remove: [], setDirect: [] });
    assert.equal(p.counts.memberships.added, 2);
  });

  test('membership diff against the store: adds, removes, direct-flag changes; a second run changes nothing', () => {
    const memberships = new Map([[50, { userIds: [1, 2, 3], direct: [1, 1, 1] }]]);
    const p = planSync(src(base, [g('staff', [0, 1, 4], [1, 0, 1])]), st(baseStore, [sg(50, 'staff')], memberships), OPT);
    assert.deepEqual(p.memberships[0], { group: 50, groupName: 'staff', add: [5], addDirect: [1], remove: [3], setDirect: [[2, 0]] });
    const same = planSync(src(base, [g('staff', [0, 1, 2])]), st(baseStore, [sg(50, 'staff')], memberships), OPT);
    assert.equal(same.memberships.length, 0);
    assert.equal(same.counts.groups.unchanged, 1);
  });

  test('renamed groups keep their id; removed ones go; internal groups are never touched', () => {
    const p = planSync(
      src(base, [{ ...g('staff2', []), sourceId: 'g-staff' }, g('local', [])]),
      st(baseStore, [sg(50, 'staff'), sg(51, 'gone'), sg(52, 'local', { source: 'internal', sourceName: null, sourceId: null })]),
      OPT,
    );
    assert.deepEqual(p.groupUpdates.map((u) => [u.id, u.from, u.name]), [[50, 'staff', 'staff2']]);
    assert.deepEqual(p.groupRemoves, [{ id: 51, name: 'gone' }]);
    assert.ok(p.issues.some((x) => x.code === 'sync.group_name_taken'));
    assert.equal(p.counts.groups.added, 0);
  });

  test('two groups with one name: reported, neither synced, neither removed', () => {
    const p = planSync(src(base, [g('Dup', []), { ...g('dup', []), sourceId: 'g-dup2', dn: 'cn=dup,ou=b,dc=x' }]), st(baseStore, [sg(60, 'Dup')]), OPT);
    assert.ok(p.issues.some((x) => x.code === 'sync.duplicate_group_name'));
    assert.equal(p.groupRemoves.length, 0);
    assert.equal(p.counts.groups.added, 0);
  });

  test('members that are not imported (skipped, disabled) are left out; store refs are kept', () => {
    const users = [su('a'), su('d', 'sid-d', { disabled: true })];
    const p = planSync(src(users, [g('staff', [0, 1, -77])]), st([]), OPT);
    assert.deepEqual(p.memberships[0]!.add, [-1, 77]);
  });
});
