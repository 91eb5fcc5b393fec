/**
 * A primary and a secondary LDAP directory (two real slapd servers): one sync run covers both, a user found in both
 * belongs to the primary, and each directory's missing users are handled on their own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateDirectory } from './harness/directory-data.ts';
import { startSlapd, type SlapdServer } from './harness/slapd.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';
import { configure, slapdSettings } from './sync-support.ts';

const A = 'dc=a,dc=example';
const B = 'dc=b,dc=example';
// user000001..user000010 exist in both directories; user000011..user000015 only in the secondary.
const primary = generateDirectory({ baseDn: A, users: 10, groups: 1, escapedDns: false });
const secondary = generateDirectory({ baseDn: B, users: 15, groups: 1, escapedDns: false });

/** The slapd settings under the ldap2.* keys. */
const asSecondary = (s: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('ldap.')).map(([k, v]) => [`ldap2.${k.slice(5)}`, v]));

for (const engine of testEngines()) {
  describe(`primary and secondary directories on ${engine}`, () => {
    let a: SlapdServer;
    let b: SlapdServer;
    let app: TestApp;
    const sourceOf = async (name: string) => (await app.deps.repos.users.findByUsername(name))?.sourceName;
    before(async () => {
      [a, b, app] = await Promise.all([startSlapd({ baseDn: A, data: primary }), startSlapd({ baseDn: B, data: secondary }), openTestApp(engine)]);
      await configure(app, { ...slapdSettings(a, 'none'), ...asSecondary(slapdSettings(b, 'none')), 'sync.secondary-source': 'ldap', 'sync.delete-protection-percent': 0 });
    });
    after(async () => {
      await app?.dispose();
      await Promise.all([a?.stop(), b?.stop()]);
    });

    test('one run syncs both; a user in both directories belongs to the primary', async () => {
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.deepEqual(r.sources.map((s) => [s.source, s.users.added]), [['primary', 10], ['secondary', 5]]);
      assert.equal(r.users.added, 15);
      assert.equal(await sourceOf('user000004'), 'primary');
      assert.equal(await sourceOf('user000013'), 'secondary');
      const log = await app.services.sync.log(r.runId!);
      assert.ok(log.lines.some((l) => /user000004.*primary directory, which takes precedence/.test(l.message)));
      const again = await app.services.sync.run({});
      assert.equal(again.users.added + again.users.updated + again.users.disabled, 0);
    });

    test('each directory handles its own missing users', async () => {
      await b.ldapDelete(`uid=user000012,ou=people,${B}`);
      await b.ldapDelete(`uid=user000002,ou=people,${B}`); // also in the primary: stays, untouched
      const r = await app.services.sync.run({});
      assert.equal(r.status, 'succeeded', r.message);
      assert.equal(r.users.disabled, 1);
      assert.equal((await app.deps.repos.users.findByUsername('user000012'))?.disabled, 1);
      assert.equal((await app.deps.repos.users.findByUsername('user000002'))?.disabled, 0);
    });
  });
}
