/**
 * Turns whatever a directory conversation throws (socket errors, TLS verification failures, LDAP result codes
 * from RFC 4511 §4.1.9, AD's extended bind diagnostics, ldapts' own messages) into one SpoolError with a
 * plain-language message and a hint an admin can act on. Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';
import type { ErrorStatus } from '../../errors.ts';
import type { CertificateReport } from './certificate.ts';

export interface LdapErrorContext {
  /** What we were doing: decides the wording (a bind failure is about the account, a search about the base). */
  operation?: 'connect' | 'starttls' | 'bind' | 'search' | 'user-bind';
  url?: string;
  port?: number;
  security?: 'ldaps' | 'starttls' | 'none';
  bindDn?: string;
  baseDn?: string;
  filter?: string;
  /** The server certificate, when one was seen; attached to TLS errors for the admin. */
  certificate?: CertificateReport;
}

/** Windows AD bind diagnostic sub-codes ("... data 52e, v4563"), MS-ADTS / [MS-ERREF] Win32 codes. */
export const AD_BIND_SUBCODES: Record<string, { reason: string; text: string; hint: string }> = {
  '525': { reason: 'user_not_found', text: 'the account does not exist', hint: 'Check the bind DN or user name.' },
  '52e': { reason: 'wrong_password', text: 'the password is wrong', hint: 'Check the password.' },
  '530': { reason: 'not_permitted_time', text: 'the account may not sign in at this time of day', hint: 'Check the account\'s logon hours in Active Directory.' },
  '531': { reason: 'not_permitted_workstation', text: 'the account may not sign in from this computer', hint: 'Check the account\'s "Log On To" workstation list in Active Directory.' },
  '532': { reason: 'password_expired', text: 'the account\'s password has expired', hint: 'Set a new password for the account.' },
  '533': { reason: 'account_disabled', text: 'the account is disabled', hint: 'Enable the account in Active Directory.' },
  '701': { reason: 'account_expired', text: 'the account has expired', hint: 'Extend the account\'s expiry date in Active Directory.' },
  '773': { reason: 'must_change_password', text: 'the account must change its password before it can sign in', hint: 'Clear "User must change password at next logon" or set a new password.' },
  '775': { reason: 'account_locked', text: 'the account is locked out after too many failed attempts', hint: 'Unlock the account in Active Directory, or wait for the lockout to expire.' },
};

/** Extracts AD's sub-code from a bind diagnostic message, lower-cased (e.g. "52e"). */
export function adBindSubcode(message: string | undefined): string | undefined {
  const m = /\bdata ([0-9a-f]{3,8})\b/i.exec(message ?? '');
  return m?.[1]?.toLowerCase();
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED', 'INVALID_CA', 'FINGERPRINT_MISMATCH', 'NO_CERTIFICATE',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const FILTER_ERROR = /^(Filter cannot be empty|Unbalanced parens|Missing paren|Invalid attribute name|Invalid expression|Illegal unescaped character|Invalid escaped hex character|Wildcard missing|Invalid extensible filter|Missing := in extensible filter)/;

interface Parts {
  code: string;
  message: string;
  hint?: string;
  status?: ErrorStatus;
}

function describeWhere(ctx: LdapErrorContext): string {
  return ctx.url ?? 'the directory server';
}

function fromNodeCode(code: string, e: Error, ctx: LdapErrorContext): Parts | undefined {
  const where = describeWhere(ctx);
  if (UNREACHABLE.has(code)) {
    return {
      code: 'ldap.unreachable',
      message: code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `The directory server name in ${where} could not be found in DNS.`
        : code === 'ETIMEDOUT'
          ? `${where} did not answer in time.`
          : `Could not connect to ${where}: ${code === 'ECONNREFUSED' ? 'the connection was refused' : 'the host cannot be reached'}.`,
      hint: 'Check the server address and port, that the directory service is running, and that no firewall blocks the port (389 for LDAP/StartTLS, 636 for LDAPS).',
      status: 502,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    const expired = code === 'CERT_HAS_EXPIRED';
    return {
      code: 'ldap.tls_expired',
      message: expired
        ? `The TLS certificate of ${where} has expired${ctx.certificate ? ` (valid until ${ctx.certificate.validTo})` : ''}.`
        : `The TLS certificate of ${where} is not valid yet${ctx.certificate ? ` (valid from ${ctx.certificate.validFrom})` : ''}.`,
      hint: expired ? 'Renew the server certificate on the directory server.' : 'Check the clocks of this server and the directory server.',
      status: 502,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return {
      code: 'ldap.tls_name_mismatch',
      message: `The TLS certificate of ${where} was issued for a different name than the one Spool connects to.`,
      hint: 'Connect using a host name listed in the certificate (see its subject and alternative names), or have the certificate re-issued with this name.',
      status: 502,
    };
  }
  if (TLS_UNTRUSTED.has(code)) {
    return {
      code: 'ldap.tls_untrusted',
      message: code === 'FINGERPRINT_MISMATCH'
        ? `The TLS certificate of ${where} does not match the pinned fingerprint.`
        : `The TLS certificate of ${where} is not signed by a certificate authority Spool trusts${code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? ' (it is self-signed)' : ''}.`,
      hint: code === 'FINGERPRINT_MISMATCH'
        ? 'If the server certificate was renewed on purpose, pin the new fingerprint; otherwise something is intercepting the connection.'
        : 'Upload the certificate of the CA that issued the server certificate (PEM), or pin the certificate\'s SHA-256 fingerprint shown below.',
      status: 502,
    };
  }
  if (code.startsWith('ERR_SSL_') || code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || (code === 'ECONNRESET' && /TLS|secure/i.test(e.message))) {
    if (ctx.security === 'ldaps' || ctx.operation === 'starttls') {
      const plain = /WRONG_VERSION|PACKET_LENGTH|HTTP_REQUEST|disconnected before secure TLS/i.test(`${code} ${e.message}`);
      if (plain && ctx.security === 'ldaps') {
        return {
          code: 'ldap.protocol_mismatch',
          message: `${where} did not answer with TLS: the port probably speaks plain LDAP.`,
          hint: 'Use the LDAPS port (usually 636) for LDAPS, or choose StartTLS on the plain LDAP port (usually 389).',
          status: 502,
        };
      }
      return {
        code: 'ldap.tls_failed',
        message: `The TLS handshake with ${where} failed (${e.message}).`,
        hint: 'Check that the server supports TLS 1.2 or newer and has a valid certificate configured.',
        status: 502,
      };
    }
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return {
      code: 'ldap.connection_closed',
      message: `${where} closed the connection unexpectedly.`,
      hint: 'If the server only accepts LDAPS on this port, choose LDAPS; otherwise check the server\'s logs.',
      status: 502,
    };
  }
  return undefined;
}

function fromResultCode(rc: number, e: Error, ctx: LdapErrorContext): Parts | undefined {
  const where = describeWhere(ctx);
  const diag = e.message ? ` Server said: "${e.message}".` : '';
  switch (rc) {
    case 49: {
      const sub = adBindSubcode(e.message);
      const known = sub ? AD_BIND_SUBCODES[sub] : undefined;
      const who = ctx.operation === 'user-bind' ? 'The user' : `The service account${ctx.bindDn ? ` "${ctx.bindDn}"` : ''}`;
      return {
        code: 'ldap.bind_failed',
        message: known ? `${who} could not sign in to the directory: ${known.text}.` : `${who} could not sign in to the directory: the name or password is wrong.`,
        hint: known?.hint ?? 'Check the bind DN (or user@domain) and password. Some servers also refuse accounts that are locked or expired.',
        status: ctx.operation === 'user-bind' ? 401 : 502,
      };
    }
    case 32:
      return {
        code: 'ldap.base_dn_not_found',
        message: ctx.baseDn ? `The search base "${ctx.baseDn}" does not exist on ${where}.` : `An entry Spool asked for does not exist on ${where}.${diag}`,
        hint: 'Check the spelling of the base DN (e.g. OU=Staff,DC=example,DC=com) and that the service account can see it.',
        status: 502,
      };
    case 8:
    case 13:
      return {
        code: 'ldap.strong_auth_required',
        message: `${where} refuses a plain-text sign-in on an unencrypted connection.`,
        hint: 'Use LDAPS (port 636) or StartTLS. Windows domain controllers require this once LDAP signing is enforced.',
        status: 502,
      };
    case 4:
      return {
        code: 'ldap.size_limit',
        message: `${where} stopped the search after its size limit.${diag}`,
        hint: 'Give the sync account an unlimited size limit, or make sure the server supports paged results (RFC 2696) with a page size below its limit.',
        status: 502,
      };
    case 3:
      return {
        code: 'ldap.timeout',
        message: `${where} stopped the search after its time limit.${diag}`,
        hint: 'Narrow the search base or filter, add an index on the filtered attributes, or raise the server\'s time limit.',
        status: 504,
      };
    case 11:
      return {
        code: 'ldap.admin_limit',
        message: `${where} refused the search because an administrative limit was exceeded.${diag}`,
        hint: 'Narrow the search base or filter, or raise the limit for the sync account.',
        status: 502,
      };
    case 50:
      return {
        code: 'ldap.insufficient_access',
        message: `The service account may not ${ctx.operation === 'search' ? 'read' : 'do'} this on ${where}.${diag}`,
        hint: 'Grant the service account read access to the user and group entries and attributes Spool needs.',
        status: 502,
      };
    case 34:
      return {
        code: 'ldap.invalid_dn',
        message: `${where} rejected a malformed distinguished name${ctx.baseDn ? ` ("${ctx.baseDn}")` : ctx.bindDn ? ` ("${ctx.bindDn}")` : ''}.${diag}`,
        hint: 'A DN looks like CN=Jane Doe,OU=Staff,DC=example,DC=com; commas and other special characters in values need a backslash.',
        status: 400,
      };
    case 7:
    case 48:
      return {
        code: 'ldap.auth_method_not_supported',
        message: `${where} does not allow this kind of sign-in.${diag}`,
        hint: 'Anonymous or simple binds may be disabled: configure a service account, and use LDAPS or StartTLS.',
        status: 502,
      };
    case 12:
      return {
        code: 'ldap.unsupported_control',
        message: `${where} does not support a feature Spool needs (paged results, RFC 2696).${diag}`,
        hint: 'Enable the paged results control on the server.',
        status: 502,
      };
    case 2:
    case 52:
    case 51:
    case 53:
      if (ctx.operation === 'starttls') {
        return {
          code: 'ldap.starttls_unsupported',
          message: `${where} does not support StartTLS.${diag}`,
          hint: 'Configure a certificate on the server, or use LDAPS on port 636.',
          status: 502,
        };
      }
      return {
        code: rc === 51 || rc === 52 ? 'ldap.unavailable' : 'ldap.server_error',
        message: `${where} could not perform the request (LDAP result ${rc}).${diag}`,
        hint: rc === 51 || rc === 52 ? 'The server is busy or shutting down; try again later or use another server.' : 'Check the server\'s logs for details.',
        status: 502,
      };
    default:
      return undefined;
  }
}

function fromMessage(e: Error, ctx: LdapErrorContext): Parts | undefined {
  const where = describeWhere(ctx);
  if (FILTER_ERROR.test(e.message)) {
    return {
      code: 'ldap.invalid_filter',
      message: `The LDAP filter${ctx.filter ? ` "${ctx.filter}"` : ''} is not valid: ${e.message}.`,
      hint: 'A filter looks like (&(objectClass=person)(mail=*)); every "(" needs a ")", and literal * ( ) \\ in values must be written \\2a \\28 \\29 \\5c.',
      status: 400,
    };
  }
  if (/Operation timed out|Connection timeout/i.test(e.message)) {
    const connecting = /Connection timeout/i.test(e.message) || ctx.operation === 'connect';
    return {
      code: connecting ? 'ldap.unreachable' : 'ldap.timeout',
      message: connecting ? `${where} did not answer in time.` : `${where} did not answer the ${ctx.operation ?? 'request'} in time.`,
      hint: connecting
        ? 'Check the server address and port and that no firewall drops the connection.'
        : 'The server may be overloaded or the search too broad: raise the timeout, narrow the base DN or filter, or try another server.',
      status: 504,
    };
  }
  if (/Connection closed before message response|Socket error|Socket connection not established|connection was closed/i.test(e.message)) {
    const early = ctx.operation === 'bind' || ctx.operation === 'starttls' || ctx.operation === 'connect';
    if (early && ctx.security !== 'ldaps') {
      return {
        code: 'ldap.protocol_mismatch',
        message: `${where} closed the connection as soon as Spool spoke plain LDAP: the port probably expects LDAPS.`,
        hint: 'Choose LDAPS for this port (usually 636), or use the plain LDAP port (usually 389) with StartTLS.',
        status: 502,
      };
    }
    return {
      code: 'ldap.connection_closed',
      message: `${where} closed the connection during the ${ctx.operation ?? 'request'}.`,
      hint: 'The server may have restarted or dropped an idle connection; try again, and check the server\'s logs if it keeps happening.',
      status: 502,
    };
  }
  return undefined;
}

/**
 * Translates any error from the LDAP layer into a SpoolError. SpoolErrors pass through unchanged.
 * details carry the original code and message (and the certificate report for TLS errors) for logs and the UI.
 */
export function translateLdapError(err: unknown, ctx: LdapErrorContext = {}): SpoolError {
  if (err instanceof SpoolError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const rawCode = (e as { code?: unknown }).code;
  const parts =
    (typeof rawCode === 'number' ? fromResultCode(rawCode, e, ctx) : undefined) ??
    (typeof rawCode === 'string' ? fromNodeCode(rawCode, e, ctx) : undefined) ??
    fromMessage(e, ctx) ?? {
      code: 'ldap.error',
      message: `The directory request to ${describeWhere(ctx)} failed: ${e.message || e.name}.`,
      hint: 'Check the directory settings and the server\'s logs.',
      status: 502 as const,
    };
  const details: Record<string, unknown> = {};
  if (ctx.url) details.url = ctx.url;
  if (ctx.operation) details.operation = ctx.operation;
  if (rawCode !== undefined) details.cause = rawCode;
  if (e.message) details.serverMessage = e.message;
  if (typeof rawCode === 'number' && rawCode === 49) {
    const sub = adBindSubcode(e.message);
    if (sub) {
      details.adSubcode = sub;
      const known = AD_BIND_SUBCODES[sub];
      if (known) details.reason = known.reason;
    }
  }
  if (ctx.baseDn) details.baseDn = ctx.baseDn;
  if (ctx.certificate) details.certificate = ctx.certificate;
  return new SpoolError(parts.code, parts.message, { hint: parts.hint, status: parts.status ?? 502, details, cause: err });
}
