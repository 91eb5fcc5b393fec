/** The real `spool` command, as an admin's script runs it, on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { cliEnv, createTestDatabase, testEngines, type TestDatabase } from './helpers/stores.ts';

for (const engine of testEngines()) {
  describe(`spool CLI on ${engine}`, () => {
    let db: TestDatabase;
    let env: NodeJS.ProcessEnv;
    before(async () => {
      db = await createTestDatabase(engine);
      env = cliEnv(db);
    });
    after(async () => db.drop());

    test('admin create reads the password from stdin and refuses weak ones', async () => {
      const ok = await runCli(['admin', 'create', '--username', 'Admin', '--password-stdin', '--json'], env, 'a-long-password\n');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.json<{ username: string }>().username, 'admin');
      const weak = await runCli(['admin', 'create', '--username', 'other', '--password-stdin'], env, 'short');
      assert.notEqual(weak.code, 0);
      assert.match(weak.stderr, /at least 10 characters/);
      assert.doesNotMatch(weak.stderr, /\n\s+at /, 'no stack trace');
    });

    test('users add / list / show / disable / enable / delete with --json', async () => {
      const add = await runCli(['users', 'add', 'Alice', '--full-name', 'Alice Liddell', '--email', 'alice@example.edu', '--initial-balance', '2.50', '--json'], env);
      assert.equal(add.code, 0, add.stderr);
      assert.equal(add.json<{ username: string }>().username, 'alice');
      const dup = await runCli(['users', 'add', 'ALICE'], env);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /already exists \(usernames are case-insensitive\)/);
      const bad = await runCli(['users', 'add', 'bad/name'], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /not a valid username/);
      const list = await runCli(['users', 'list', '--json'], env);
      assert.equal(list.json<{ total: number }>().total, 1);
      assert.equal((await runCli(['users', 'disable', 'alice', '--json'], env)).json<{ disabled: boolean }>().disabled, true);
      assert.equal((await runCli(['users', 'enable', 'alice', '--json'], env)).json<{ disabled: boolean }>().disabled, false);
      const show = await runCli(['users', 'show', 'alice', '--json'], env);
      assert.equal(show.json<{ account: { balanceCents: number } }>().account.balanceCents, 250);
      const missing = await runCli(['users', 'show', 'nobody'], env);
      assert.equal(missing.code, 3);
      assert.match(missing.stderr, /No user "nobody"/);
      const noYes = await runCli(['users', 'delete', 'alice'], env);
      assert.equal(noYes.code, 2);
      assert.match(noYes.stderr, /--yes/);
    });

    test('accounts adjust takes negative amounts and refuses fractions of a cent', async () => {
      await runCli(['users', 'add', 'bob'], env);
      const up = await runCli(['accounts', 'adjust', 'bob', '10', '--reason', 'Term credit', '--json'], env);
      assert.equal(up.code, 0, up.stderr);
      const down = await runCli(['accounts', 'adjust', 'bob', '-0.15', '--reason', 'Copy', '--json'], env);
      assert.equal(down.json<{ balanceAfterCents: number }>().balanceAfterCents, 985);
      const bad = await runCli(['accounts', 'adjust', 'bob', '0.001', '--reason', 'x'], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /not an amount of money/);
      const noReason = await runCli(['accounts', 'adjust', 'bob', '1'], env);
      assert.equal(noReason.code, 2);
    });

    test('config set/get: typed, validated, secrets never printed', async () => {
      assert.equal((await runCli(['config', 'set', 'ldap.port', '636'], env)).code, 0);
      assert.equal((await runCli(['config', 'get', 'ldap.port'], env)).stdout.trim(), '636');
      const bad = await runCli(['config', 'set', 'ldap.port', 'abc'], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /expected a whole number/);
      const unknown = await runCli(['config', 'set', 'ldap.prot', '1'], env);
      assert.match(unknown.stderr, /Unknown setting "ldap.prot"/);
      const secret = await runCli(['config', 'set', 'ldap.bind-password', '--stdin', '--json'], env, 'Pa55word!');
      assert.equal(secret.code, 0, secret.stderr);
      assert.ok(!secret.stdout.includes('Pa55word!'));
      const list = await runCli(['config', 'list', 'ldap.', '--json'], env);
      assert.ok(!list.stdout.includes('Pa55word!'));
    });

    test('unknown commands and options exit 2 with usage help', async () => {
      const r = await runCli(['frobnicate'], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown command/);
    });
  });
}

test('a data dir that cannot be written is refused with a fix', async () => {
  const r = await runCli(['users', 'list'], { ...process.env, SPOOL_DATA_DIR: '/etc/hostname/spool-data', SPOOL_DATABASE_URL: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot be written/);
});

test('a bad environment variable is named', async () => {
  const r = await runCli(['users', 'list'], { ...process.env, SPOOL_HTTP_PORT: 'ninety' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SPOOL_HTTP_PORT/);
});
