/**
 * Opens an authenticated connection to the first reachable directory server of a list.
 *
 * The TCP/TLS socket is opened here, not by ldapts, and handed to it pre-connected, because:
 * - we want connect-phase failures (refused, timeout, untrusted certificate) per host, to fail over to the next;
 * - TLS verification is ours (certificate.ts) so the admin sees the certificate even when it is rejected;
 * - ldapts silently reconnects a dropped socket, which after StartTLS would continue in clear text and
 *   unauthenticated; our socket factory refuses a second connection instead.
 * (Measured with ldapts 8: passing tlsOptions to its constructor turns TLS on even for ldap:// URLs, so
 * StartTLS options go to startTLS() only.)
 */
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { Client } from 'ldapts';
import { SpoolError } from '../../errors.ts';
import type { CertificateReport, TlsTrustConfig } from './certificate.ts';
import { connectJudgedTls, normalizeFingerprint } from './certificate.ts';
import { translateLdapError } from './errors.ts';
import { installFastEntryReader } from './fast-entries.ts';
import { installPagingGuard } from './paging-guard.ts';
import type { LdapErrorContext } from './errors.ts';

export type LdapSecurity = 'ldaps' | 'starttls' | 'none';

export interface LdapConnectionConfig {
  /** Tried in order; each may carry its own ":port" ("dc1.example.com:3269", "[::1]:636"). */
  hosts: string[];
  /** Default port for hosts without one (636 for LDAPS, else 389). */
  port?: number;
  security: LdapSecurity;
  /** PEM of the CA(s) that issued the server certificate; replaces Node's built-in root list when set. */
  caPem?: string;
  /** SHA-256 fingerprint of the server certificate: explicit pinning instead of CA validation. */
  trustFingerprint?: string;
  /** false = accept an untrusted certificate (not recommended; the report still says trusted:false). */
  rejectUnauthorized?: boolean;
  connectTimeoutMs: number;
  /** Per LDAP operation (one bind, one page of a search). */
  timeoutMs: number;
  bindDn?: string;
  bindPassword?: string;
}

export interface LdapConnection {
  client: Client;
  /** The URL actually connected to, e.g. "ldaps://dc2.example.com:636". */
  url: string;
  host: string;
  port: number;
  security: LdapSecurity;
  tls?: CertificateReport;
  /** Per-operation timeout, reused by the search helpers for the server-side time limit. */
  timeoutMs: number;
  /** Unbinds and closes the socket. Safe to call more than once; never throws. */
  close(): Promise<void>;
}

/** Attributes that must reach us as raw bytes (binary ids), in the spellings servers use. */
export const BINARY_ATTRIBUTES = ['objectGUID', 'objectguid', 'objectSid', 'objectsid', 'GUID', 'guid'];

export interface HostSpec {
  host: string;
  port: number;
}

const configError = (message: string, hint?: string): SpoolError =>
  new SpoolError('ldap.config_invalid', message, { hint, status: 400 });

/** Parses "host", "host:port", "[v6]:port" or "ldap(s)://host:port" (scheme must agree with security). */
export function parseHostSpec(spec: string, security: LdapSecurity, defaultPort?: number): HostSpec {
  let s = spec.trim();
  const scheme = /^(ldaps?):\/\//i.exec(s);
  if (scheme) {
    const isLdaps = scheme[1]?.toLowerCase() === 'ldaps';
    if (isLdaps !== (security === 'ldaps')) {
      throw configError(`The server address "${spec}" says ${isLdaps ? 'ldaps' : 'ldap'}:// but the connection security is ${security}.`,
        'Enter the host name only and pick the security setting, or make them agree.');
    }
    s = s.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  const fallback = defaultPort ?? (security === 'ldaps' ? 636 : 389);
  let host = s;
  let port = fallback;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1] ?? '';
    if (v6[2]) port = Number(v6[2]);
  } else {
    const hp = /^([^:]+):(\d+)$/.exec(s);
    if (hp) {
      host = hp[1] ?? '';
      port = Number(hp[2]);
    }
  }
  if (!host || /\s/.test(host)) throw configError(`"${spec}" is not a valid server address.`, 'Use a host name or IP address, optionally followed by :port.');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw configError(`The port in "${spec}" is not valid.`, 'Ports are numbers from 1 to 65535.');
  return { host, port };
}

function urlFor(security: LdapSecurity, { host, port }: HostSpec): string {
  const h = net.isIPv6(host) ? `[${host}]` : host;
  return `${security === 'ldaps' ? 'ldaps' : 'ldap'}://${h}:${port}`;
}

/** Throws ldap.empty_password: an empty password would be an unauthenticated bind (RFC 4513 §5.1.2). */
export function assertNonEmptyPassword(password: string | undefined, who: 'service' | 'user'): asserts password is string {
  if (typeof password !== 'string' || password.length === 0) {
    throw new SpoolError('ldap.empty_password', who === 'service'
      ? 'The directory service account has no password. Spool never binds with an empty password: many servers (Active Directory among them) treat that as an anonymous sign-in that "succeeds".'
      : 'A password is required.', {
      hint: who === 'service' ? 'Enter the service account\'s password, or remove the bind DN to connect anonymously.' : undefined,
      status: who === 'service' ? 400 : 401,
    });
  }
}

/** Opens a TCP (or TLS, for LDAPS) socket with a deadline covering connect and handshake. */
function openSocket(spec: HostSpec, cfg: LdapConnectionConfig, onReport: (r: CertificateReport) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const trust: TlsTrustConfig = { caPem: cfg.caPem, trustFingerprint: cfg.trustFingerprint, rejectUnauthorized: cfg.rejectUnauthorized };
    const socket: net.Socket = cfg.security === 'ldaps'
      ? connectJudgedTls({ host: spec.host, port: spec.port }, trust, onReport)
      : net.connect({ host: spec.host, port: spec.port });
    const ready = cfg.security === 'ldaps' ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' }));
    }, cfg.connectTimeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      // Until ldapts attaches its own handlers (at the first operation), an error event with no listener
      // would crash the process. ldapts replaces this listener when it takes the socket over.
      socket.on('error', () => {});
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    });
  });
}

/** Hands ldapts our socket once; any later (re)connect attempt fails instead of silently reconnecting. */
function once<T>(socket: T): () => T {
  let used = false;
  return () => {
    if (used) throw Object.assign(new Error('The LDAP connection was closed; Spool does not reconnect silently'), { code: 'ECONNRESET' });
    used = true;
    return socket;
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new Error('StartTLS: Operation timed out'));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function connectOne(spec: HostSpec, cfg: LdapConnectionConfig): Promise<LdapConnection> {
  const url = urlFor(cfg.security, spec);
  let report: CertificateReport | undefined;
  const ctx = (operation: LdapErrorContext['operation']): LdapErrorContext => ({
    operation, url, port: spec.port, security: cfg.security, bindDn: cfg.bindDn, certificate: report,
  });
  let socket: net.Socket;
  try {
    socket = await openSocket(spec, cfg, (r) => { report = r; });
  } catch (err) {
    throw translateLdapError(err, ctx('connect'));
  }
  const trust: TlsTrustConfig = { caPem: cfg.caPem, trustFingerprint: cfg.trustFingerprint, rejectUnauthorized: cfg.rejectUnauthorized };
  const client = new Client({
    url,
    timeout: cfg.timeoutMs,
    connectTimeout: cfg.connectTimeoutMs,
    // Bind DNs may be user@domain or DOMAIN\user for AD; let the server judge them.
    strictDN: false,
    ...(cfg.security === 'ldaps'
      ? { createSecureConnection: once(socket as tls.TLSSocket) as unknown as typeof tls.connect }
      : {
          createConnection: once(socket) as unknown as typeof net.connect,
          createSecureConnection: ((options: tls.ConnectionOptions) =>
            connectJudgedTls({ ...options, host: spec.host }, trust, (r) => { report = r; })) as unknown as typeof tls.connect,
        }),
  });
  installFastEntryReader(client);
  installPagingGuard(client);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await client.unbind();
    } catch {
      // The socket may already be gone; unbind() destroys it either way.
    }
    socket.destroy();
  };
  try {
    if (cfg.security === 'starttls') {
      try {
        // RFC 4511 §4.14 / RFC 4513 §3: upgrade before any credentials are sent.
        await withDeadline(client.startTLS({ host: spec.host }), cfg.timeoutMs, () => socket.destroy());
      } catch (err) {
        throw translateLdapError(err, ctx('starttls'));
      }
    }
    if (cfg.bindDn) {
      try {
        await client.bind(cfg.bindDn, cfg.bindPassword);
      } catch (err) {
        throw translateLdapError(err, ctx('bind'));
      }
    }
  } catch (err) {
    // A client whose bind failed keeps the process alive until unbound.
    await close();
    throw err;
  }
  return { client, url, host: spec.host, port: spec.port, security: cfg.security, tls: report, timeoutMs: cfg.timeoutMs, close };
}

/** Errors that say nothing about other servers of the same directory: do not try the next host. */
const NO_FAILOVER = new Set(['ldap.bind_failed', 'ldap.empty_password', 'ldap.config_invalid', 'ldap.invalid_dn', 'ldap.auth_method_not_supported', 'ldap.strong_auth_required']);

/**
 * Connects to the first host that answers, upgrades/verifies TLS per `security`, and binds when a bind DN is
 * configured (anonymous otherwise). Bind failures are not retried on the next host: the answer would be the same
 * and each attempt counts towards the account's lockout threshold.
 * Throws a SpoolError (see errors.ts); for TLS failures `details.certificate` holds the CertificateReport.
 */
export async function openLdapConnection(cfg: LdapConnectionConfig): Promise<LdapConnection> {
  if (!Array.isArray(cfg.hosts) || cfg.hosts.filter((h) => h.trim()).length === 0) {
    throw configError('No directory server address is configured.', 'Enter at least one host name or IP address.');
  }
  if (cfg.bindDn !== undefined && cfg.bindDn.trim() !== '') assertNonEmptyPassword(cfg.bindPassword, 'service');
  else if (cfg.bindPassword) throw configError('A bind password is set but no bind DN.', 'Enter the service account\'s DN (or user@domain), or remove the password.');
  if (cfg.trustFingerprint) normalizeFingerprint(cfg.trustFingerprint);
  const normalized: LdapConnectionConfig = { ...cfg, bindDn: cfg.bindDn?.trim() || undefined };
  const specs = cfg.hosts.filter((h) => h.trim()).map((h) => parseHostSpec(h, cfg.security, cfg.port));
  const failures: SpoolError[] = [];
  for (const spec of specs) {
    try {
      return await connectOne(spec, normalized);
    } catch (err) {
      const e = translateLdapError(err, { url: urlFor(cfg.security, spec), security: cfg.security });
      if (NO_FAILOVER.has(e.code)) throw e;
      failures.push(e);
    }
  }
  const firstFailure = failures[0] as SpoolError;
  if (failures.length === 1) throw firstFailure;
  // Report the first server's error (the preferred one), and list what happened with every server.
  throw new SpoolError(firstFailure.code, `${firstFailure.message} No other server answered either (${failures.length} tried).`, {
    hint: firstFailure.hint,
    status: firstFailure.status,
    details: { ...firstFailure.details, attempts: failures.map((f) => ({ url: f.details?.url, code: f.code, message: f.message })) },
    cause: firstFailure,
  });
}

/** Runs `fn` on a fresh connection and always closes it. */
export async function withLdapConnection<T>(cfg: LdapConnectionConfig, fn: (conn: LdapConnection) => Promise<T>): Promise<T> {
  const conn = await openLdapConnection(cfg);
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}
