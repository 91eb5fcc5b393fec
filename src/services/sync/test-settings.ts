/**
 * Test settings: connect, check TLS, bind, count what would be imported and show a sample, in plain words, with
 * the likely cause and the fix of every failure. Reads only; changes nothing.
 */
import type { CertificateReport, LdapConnection } from '../../directory/ldap/index.ts';
import { openLdapConnection } from '../../directory/ldap/index.ts';
import type { SourceName, SyncIssue } from '../../domain/sync/types.ts';
import { SpoolError, describeError, isSpoolError } from '../../errors.ts';
import { assertConfigured, ldapSourceFromSettings, type LdapSource } from './ldap-source.ts';
import { readSource } from './read-directory.ts';

export type TestStepName = 'configuration' | 'connect' | 'tls' | 'bind' | 'users' | 'groups';

export interface TestStep {
  step: TestStepName;
  ok: boolean;
  message: string;
  hint?: string | undefined;
  code?: string | undefined;
}

export interface SampleUser {
  username: string;
  alias: string | null;
  fullName: string;
  email: string | null;
  department: string | null;
  office: string | null;
  cardNumber: string | null;
  disabled: boolean;
  dn: string | null;
}

export interface TestReport {
  ok: boolean;
  source: SourceName;
  server: { url: string; security: string } | null;
  certificate: CertificateReport | null;
  steps: TestStep[];
  counts: { users: number; disabledUsers: number; groups: number; excluded: number; notInImportGroups: number; problems: number } | null;
  sample: SampleUser[];
  issues: SyncIssue[];
  warnings: string[];
}

const BIND_CODES = new Set(['ldap.bind_failed', 'ldap.empty_password', 'ldap.strong_auth_required', 'ldap.auth_method_not_supported', 'ldap.insufficient_access', 'ldap.invalid_dn']);
const TLS_CODES = new Set(['ldap.tls_untrusted', 'ldap.tls_expired', 'ldap.tls_name_mismatch', 'ldap.tls_failed', 'ldap.protocol_mismatch', 'ldap.starttls_unsupported']);

function describeCertificate(c: CertificateReport): string {
  const trust = c.trusted ? `trusted${c.trustedBy === 'fingerprint' ? ' (pinned fingerprint)' : ' (signed by a trusted CA)'}` : `NOT trusted${c.reason ? ` (${c.reason})` : ''}`;
  return `Certificate "${c.subject}" issued by "${c.issuer}", valid until ${c.validTo.slice(0, 10)} (${c.daysLeft} days left), SHA-256 ${c.fingerprint256}: ${trust}.`;
}

export async function testLdapSettings(settings: Record<string, unknown>, name: SourceName, now: Date): Promise<TestReport> {
  const report: TestReport = { ok: false, source: name, server: null, certificate: null, steps: [], counts: null, sample: [], issues: [], warnings: [] };
  const fail = (step: TestStepName, e: unknown): TestReport => {
    const err = isSpoolError(e) ? e : new SpoolError('ldap.error', describeError(e));
    report.steps.push({ step, ok: false, message: err.message, hint: err.hint, code: err.code });
    const cert = err.details?.certificate as CertificateReport | undefined;
    if (cert) report.certificate = cert;
    return report;
  };
  let src: LdapSource;
  try {
    src = await ldapSourceFromSettings(settings, name);
    assertConfigured(src);
  } catch (e) {
    return fail('configuration', e);
  }
  report.warnings.push(...src.warnings);
  report.steps.push({ step: 'configuration', ok: true, message: `Server type ${src.serverType}; ${src.connection.hosts.join(', ')}; security ${src.connection.security}; base DN ${src.baseDns.join('; ')}.` });

  let conn: LdapConnection;
  try {
    conn = await openLdapConnection(src.connection);
  } catch (e) {
    const code = isSpoolError(e) ? e.code : '';
    if (BIND_CODES.has(code)) {
      report.steps.push({ step: 'connect', ok: true, message: 'The server answered.' });
      if (src.connection.security !== 'none') report.steps.push({ step: 'tls', ok: true, message: 'TLS is set up.' });
      return fail('bind', e);
    }
    return fail(TLS_CODES.has(code) ? 'tls' : 'connect', e);
  }
  try {
    report.server = { url: conn.url, security: conn.security };
    report.steps.push({ step: 'connect', ok: true, message: `Connected to ${conn.url}.` });
    if (conn.tls) {
      report.certificate = conn.tls;
      report.steps.push({ step: 'tls', ok: conn.tls.trusted, message: describeCertificate(conn.tls), ...(conn.tls.daysLeft < 30 ? { hint: 'The certificate expires soon: renew it on the directory server.' } : {}) });
    } else {
      report.steps.push({ step: 'tls', ok: true, message: 'No TLS: passwords and directory data cross the network unencrypted.', hint: 'Use LDAPS (port 636) or StartTLS.' });
    }
    report.steps.push({ step: 'bind', ok: true, message: src.connection.bindDn ? `Signed in as ${src.connection.bindDn}.` : 'Connected anonymously (no bind DN).' });
    try {
      const read = await readSource(conn, src, { now, groups: src.syncGroups ? 'all' : 'none' });
      const users = read.snapshot.users;
      report.issues = read.snapshot.issues.slice(0, 100);
      report.counts = {
        users: users.filter((u) => src.importDisabled || !u.disabled).length,
        disabledUsers: users.filter((u) => u.disabled).length,
        groups: read.snapshot.groups?.length ?? 0,
        excluded: read.excluded,
        notInImportGroups: read.notInImportGroups,
        problems: read.snapshot.issues.filter((i) => i.level === 'error').length,
      };
      report.sample = users.slice(0, 10).map((u) => ({
        username: u.username, alias: u.usernameAlias, fullName: u.details.fullName, email: u.details.email, department: u.details.department,
        office: u.details.office, cardNumber: u.details.cardNumber, disabled: u.disabled, dn: u.dn,
      }));
      if (users.length === 0) {
        report.steps.push({
          step: 'users', ok: false, code: 'sync.no_users',
          message: `No users were found below ${src.baseDns.join('; ')} with the filter ${src.schema.userFilter}${read.excluded ? ` (${read.excluded} excluded by OU)` : ''}.`,
          hint: 'Check the base DN (it must contain the user accounts), the user filter, the import groups, and that the bind account may read users.',
        });
      } else {
        report.steps.push({ step: 'users', ok: true, message: `${report.counts.users} user(s) would be imported (${report.counts.disabledUsers} disabled in the directory${src.importDisabled ? ', imported disabled' : ', not imported'}${report.counts.problems ? `; ${report.counts.problems} entries have problems, see issues` : ''}).` });
      }
      if (src.syncGroups) report.steps.push({ step: 'groups', ok: true, message: `${report.counts.groups} group(s) would be synced.` });
    } catch (e) {
      return fail('users', e);
    }
  } finally {
    await conn.close();
  }
  report.ok = report.steps.every((s) => s.ok);
  return report;
}
