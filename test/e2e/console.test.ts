/**
 * The admin's journey in a real browser (Debian Chromium via playwright-core) against the real server,
 * a real slapd and SQLite: first-run setup, a printer, LDAP configured on the User/Group Sync page (server
 * type preset, StartTLS with the CA uploaded as a file), Apply, Test settings, Synchronize now with live
 * progress, a synced user found in Users, the Entra add-on's token, then a synced user signs in to the
 * portal with their directory password and sends a test print, which the admin sees. Screenshots of every
 * main page go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServers, type RunningServers } from '../../src/http/server.ts';
import { chromiumUnavailable, launchBrowser, newContext, screenshot, screenshotOf, unlabelledControls, watchPageErrors } from '../harness/browser.ts';
import { generateDirectory } from '../harness/directory-data.ts';
import { startSlapd, type SlapdServer } from '../harness/slapd.ts';
import { openTestApp, type TestApp } from '../helpers/stores.ts';

const ADMIN_PW = 'e2e-admin-password';
const skip = chromiumUnavailable();

describe('console and portal in Chromium', { skip }, () => {
  const data = generateDirectory({ baseDn: 'dc=example,dc=com', users: 40, groups: 4, nested: true });
  const alice = data.user(11); // an ordinary user: uid user000012
  let slapd: SlapdServer;
  let app: TestApp;
  let server: RunningServers;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let errors: string[];
  const url = (path: string): string => `${server.httpUrl}${path}`;

  before(async () => {
    [slapd, app, browser] = await Promise.all([startSlapd({ data }), openTestApp('sqlite', { SPOOL_HTTPS_PORT: 'off' }), launchBrowser()]);
    server = await startServers(app);
    admin = await newContext(browser);
    page = await admin.newPage();
    errors = watchPageErrors(page);
  });
  /** Visits a page, checks every form control has an accessible name, and saves a screenshot. */
  async function visit(path: string, name: string): Promise<void> {
    await page.goto(url(path));
    assert.deepEqual(await unlabelledControls(page), [], `unlabelled controls on ${path}`);
    await screenshot(page, name);
  }

  after(async () => {
    await browser?.close();
    await server?.close();
    await app?.dispose();
    await slapd?.stop();
  });

  test('first-run setup creates the admin and signs in', async () => {
    assert.ok(server.setupUrl, 'a fresh server prints a setup URL');
    await page.goto(server.setupUrl);
    await screenshot(page, '01-setup');
    await page.getByLabel('Admin username').fill('admin');
    await page.getByLabel('Password', { exact: false }).first().fill(ADMIN_PW);
    await page.getByLabel('Confirm password').fill(ADMIN_PW);
    await page.getByRole('button', { name: 'Create admin' }).click();
    await page.waitForURL(url('/admin'));
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  test('add a printer with a cost per page', async () => {
    await page.goto(url('/admin/printers'));
    await page.locator('#f-name-new').fill('Library');
    await page.locator('#f-cost-new').fill('0.10');
    await page.getByRole('button', { name: 'Add printer' }).click();
    await page.getByText('Printer added.').waitFor();
  });

  test('configure LDAP on the User/Group Sync page, Apply, Test settings', async () => {
    await page.goto(url('/admin/options/sync'));
    await page.getByLabel('LDAP (Active Directory, Azure AD DS, OpenLDAP, eDirectory)').check();
    const userFilter = page.locator('#f-ldap-schema-user-filter');
    assert.equal(await userFilter.inputValue(), '(&(objectCategory=person)(objectClass=user))', 'Active Directory preset first');
    await page.getByLabel('LDAP server type').first().selectOption('openldap');
    assert.equal(await userFilter.inputValue(), '(|(objectClass=inetOrgPerson)(objectClass=posixAccount))', 'choosing the type fills the schema');
    await page.locator('#f-ldap-hosts').fill(`127.0.0.1:${slapd.port}`);
    await page.locator('#f-ldap-security').getByLabel('StartTLS (port 389)').check();
    await page.locator('#ca-upload-ldap').setInputFiles(slapd.caFile);
    await page.waitForFunction('document.getElementById("f-ldap-ca-pem").value.includes("BEGIN CERTIFICATE")');
    await page.locator('#f-ldap-base-dn').fill(slapd.baseDn);
    await page.locator('#f-ldap-bind-dn').fill(slapd.syncDn);
    await page.locator('#f-ldap-bind-password').fill(slapd.syncPassword);
    await page.locator('#f-sync-initial-credit').fill('5.00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Settings applied.').first().waitFor();
    assert.equal(await page.locator('#f-ldap-bind-password').inputValue(), '', 'the password is never rendered back');
    await page.getByText('A password is set. Leave this empty to keep it.').first().waitFor();

    // The group picker searches the directory and adds the chosen group to "Selected groups".
    await page.locator('#f-ldap-import').getByLabel('Only members of selected groups (direct and nested)').check();
    await page.locator('#picker-ldap').fill('group000');
    await page.locator('[data-group-picker="ldap"]').getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Add group0002' }).click();
    assert.equal(await page.locator('#f-ldap-import-groups').inputValue(), `cn=group0002,ou=groups,${slapd.baseDn}`);
    await screenshotOf(page.locator('#f-ldap-import').locator('..'), '04-sync-group-picker');
    await page.reload(); // not applied: all users are imported

    await page.getByRole('button', { name: 'Test settings' }).click();
    const report = page.locator('#test-report-primary');
    await report.waitFor();
    await report.getByText('all checks passed').waitFor();
    assert.ok((await report.locator('#sample-users tbody tr').count()) > 0, 'sample users are listed');
    await screenshot(page, '04-sync-test-settings');
    await screenshotOf(report, '04-sync-test-report');
  });

  test('a running sync shows live progress, and the page follows it to the result', async () => {
    // A sync run by another process (the CLI, another node): it holds the sync lease and records its progress.
    const { repos } = app.deps;
    const t = new Date().toISOString();
    assert.ok(await repos.leases.acquire('sync', 'e2e', t, new Date(Date.now() + 60_000).toISOString()));
    const runId = await repos.syncRuns.start({ source: 'ldap', mode: 'full', trigger: 'cli', dryRun: false }, t);
    const progress = async (p: Record<string, unknown>): Promise<void> => {
      await app.store.db.updateTable('syncRuns').set({ stats: JSON.stringify({ progress: { runId, source: 'primary', usersRead: 0, groupsRead: 0, applied: 0, toApply: 0, startedAt: t, ...p } }) }).where('id', '=', runId).execute();
    };
    await progress({ phase: 'reading users', usersRead: 1234, groupsRead: 56 });
    await page.goto(url('/admin/options/sync'));
    const text = page.locator('#progress [data-progress-text]');
    await text.getByText('1,234 users and 56 groups read.').waitFor();
    assert.equal(await page.locator('#sync-now button[type=submit]').isDisabled(), true, 'one sync at a time');
    await progress({ phase: 'applying changes', usersRead: 2000, groupsRead: 60, applied: 150, toApply: 300 });
    await text.getByText('150 of 300 changes applied.').waitFor();
    await screenshot(page, '04-sync-progress');
    await screenshotOf(page.locator('#progress'), '04-sync-progress-panel');
    await repos.syncRuns.finish(runId, { status: 'succeeded', finishedAt: new Date().toISOString(), durationMs: 1500, stats: {} });
    await repos.leases.release('sync', 'e2e');
    await page.waitForURL(new RegExp(`done=finished&run=${runId}`));
  });

  test('Synchronize now runs the sync and shows the result', async () => {
    const before = (await app.deps.repos.syncRuns.latest({ limit: 1 }))[0]?.id ?? 0;
    await page.locator('#sync-now').getByRole('button', { name: 'Synchronize now' }).click();
    await page.waitForURL(/\/admin\/options\/sync\?done=started/);
    // The page script polls /api/v1/sync/status while the run lasts, then shows the result.
    const row = page.locator('#runs tbody tr', { hasText: `#${before + 1}` });
    await row.locator('.badge.ok', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    assert.match(await row.innerText(), /40 added/);
    await screenshot(page, '04-sync-done');
    await row.getByRole('link', { name: `#${before + 1}` }).click();
    await page.getByRole('heading', { name: /Sync run #\d+/ }).waitFor();
    await screenshot(page, '04-sync-run-log');
  });

  test('the synced user is found in Users with source, groups and initial credit', async () => {
    await page.goto(url('/admin/users'));
    await page.getByLabel('Search').fill(alice.uid);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: alice.uid, exact: true }).click();
    await page.getByRole('heading', { name: new RegExp(alice.uid) }).waitFor();
    assert.match(await page.locator('table.kv').innerText(), /LDAP/);
    assert.equal(await page.locator('#balance').innerText(), '5.00');
    await visit('/admin/users', '02-users');
    await visit('/admin/groups', '03-groups');
    await page.getByRole('link', { name: 'nested-top' }).click();
    await page.getByRole('heading', { name: 'nested-top' }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, '03-group-detail');
  });

  test('add Microsoft Entra User Sync and read the tenant URL and token once', async () => {
    await page.goto(url('/admin/addons'));
    await page.getByRole('button', { name: 'Add Microsoft Entra User Sync' }).click();
    const token = await page.locator('#secret-token').inputValue();
    assert.match(token, /^spool_scim_/);
    assert.match(await page.locator('#tenant-url').inputValue(), /\/scim\/v2$/);
    assert.ok(await app.services.auth.verifyToken('scim', token), 'the shown token authenticates SCIM');
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, '06-addons');
    await page.reload();
    assert.equal(await page.locator('#secret-token').count(), 0, 'the token is shown only once');
  });

  test('a synced user signs in to the portal with the directory password and prints a test page', async () => {
    const phone = await newContext(browser, { width: 390, height: 844 });
    try {
      const p = await phone.newPage();
      const portalErrors = watchPageErrors(p);
      await p.goto(url('/user'));
      await screenshot(p, '08-portal-sign-in');
      await p.getByLabel('Username').fill(alice.uid);
      await p.getByLabel('Password').fill('not-the-password');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText('Wrong username or password.').waitFor();
      await screenshot(p, '08-portal-sign-in-refused');
      await p.getByLabel('Password').fill(alice.password ?? '');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: /Hello/ }).waitFor();
      assert.equal(await p.locator('#balance').innerText(), '5.00');
      await p.getByLabel('Printer').selectOption({ label: 'Library (0.10 per page)' });
      await p.getByRole('button', { name: 'Send test print' }).click();
      await p.getByText('Test page printed on Library: 0.10 charged.').waitFor();
      assert.equal(await p.locator('#balance').innerText(), '4.90');
      await screenshot(p, '08-portal');
      // The refused sign-in answers 401 on purpose (Chromium logs that status); nothing else may fail.
      assert.deepEqual(portalErrors.filter((e) => !/status of 401/.test(e)), []);
    } finally {
      await phone.close();
    }
  });

  test('the admin sees the job and the new balance; dashboard and logs', async () => {
    await page.goto(url('/admin/users'));
    await page.getByLabel('Search').fill(alice.uid);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: alice.uid, exact: true }).click();
    assert.equal(await page.locator('#balance').innerText(), '4.90');
    assert.match(await page.locator('#jobs').innerText(), /Library\s+Spool test page\s+1\s+0\.10\s+printed/);
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, '02-user-detail');
    await visit('/admin', '00-dashboard');
    await visit('/admin/options/sync', '04-sync');
    await visit('/admin/printers', '05-printers');
    await visit('/admin/addons', '06-addons-added');
    await visit('/admin/logs', '07-logs');
    await visit('/admin/logs?tab=audit', '07-audit-log');
    await page.getByText('printing.test-print').first().waitFor();
    const phone = await newContext(browser, { width: 390, height: 844 });
    try {
      await phone.addCookies(await admin.cookies());
      const p = await phone.newPage();
      for (const [path, name] of [['/admin', '09-phone-dashboard'], ['/admin/users', '09-phone-users'], ['/admin/options/sync', '09-phone-sync']] as const) {
        await p.goto(url(path));
        const width = await p.evaluate('document.documentElement.scrollWidth');
        assert.ok(Number(width) <= 400, `${path} fits a phone (scroll width ${String(width)})`);
        await screenshot(p, name);
      }
    } finally {
      await phone.close();
    }
    assert.deepEqual(errors, [], 'no script errors or CSP violations');
  });
});
