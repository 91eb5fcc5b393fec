/**
 * TLS for directory connections: verify the server certificate ourselves so that we can always show the admin
 * what the server presented (subject, issuer, expiry, SHA-256 fingerprint) — also when it is not trusted —
 * and support explicit fingerprint pinning for servers with self-signed certificates.
 *
 * How: the TLS socket is opened with rejectUnauthorized:false, and its 'secureConnect' event is intercepted.
 * Node has by then computed `authorized` (chain + host name via checkServerIdentity); we build the report,
 * apply the trust decision, and only let 'secureConnect' through when the server is trusted. Nothing is sent on
 * an untrusted connection: the LDAP client only writes after 'secureConnect'.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { SpoolError } from '../../errors.ts';

export interface CertificateReport {
  /** Subject DN, e.g. "CN=dc1.example.com, O=Example". */
  subject: string;
  issuer: string;
  /** Subject alternative names as printed by OpenSSL ("DNS:dc1.example.com, IP Address:10.0.0.1"). */
  subjectAltName?: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days until validTo; negative once expired. */
  daysLeft: number;
  /** "AB:CD:..." upper-case hex, as Node and most admin tools print it. */
  fingerprint256: string;
  /** Trusted by the configured CA (chain and host name) or by the pinned fingerprint. */
  trusted: boolean;
  /** Why it is not trusted (OpenSSL/Node code such as CERT_HAS_EXPIRED, or FINGERPRINT_MISMATCH). */
  reason?: string;
  /** How trust was established. */
  trustedBy?: 'ca' | 'fingerprint';
}

export interface TlsTrustConfig {
  caPem?: string;
  trustFingerprint?: string;
  /** false = connect even to an untrusted server (report still says trusted:false). Default true. */
  rejectUnauthorized?: boolean;
}

/** "sha256/AB:cd..." or "abcd..." → 64 lower-case hex digits; throws ldap.config_invalid otherwise. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.trim().replace(/^sha-?256[:/ ]?/i, '').replace(/[^0-9a-f]/gi, '').toLowerCase();
  if (hex.length !== 64) {
    throw new SpoolError('ldap.config_invalid', 'The pinned certificate fingerprint must be a SHA-256 fingerprint (64 hex digits).', {
      hint: 'Copy the SHA-256 fingerprint shown for the server certificate, e.g. 3A:F1:…',
      status: 400,
    });
  }
  return hex;
}

const oneLine = (dn: string): string => dn.split('\n').filter(Boolean).join(', ');

/** Builds the report from a certificate's DER bytes plus Node's verification verdict. */
export function reportFromCertificate(raw: Buffer, authorized: boolean, authorizationError: string | undefined, now = new Date()): CertificateReport {
  const x = new X509Certificate(raw);
  const validTo = new Date(x.validTo);
  const report: CertificateReport = {
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
    fingerprint256: x.fingerprint256,
    trusted: authorized,
  };
  if (x.subjectAltName) report.subjectAltName = x.subjectAltName;
  if (authorized) report.trustedBy = 'ca';
  else if (authorizationError) report.reason = authorizationError;
  return report;
}

/**
 * Applies the trust configuration to a connected TLS socket. Returns the report and, when the connection must
 * not be used, an Error whose `code` names the reason (translateLdapError turns it into advice).
 */
export function judgeTlsSocket(socket: tls.TLSSocket, trust: TlsTrustConfig): { report?: CertificateReport; error?: Error } {
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) {
    return { error: Object.assign(new Error('The server presented no certificate'), { code: 'NO_CERTIFICATE' }) };
  }
  const authError = socket.authorizationError ? String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError) : undefined;
  const report = reportFromCertificate(peer.raw, socket.authorized, authError);
  if (trust.trustFingerprint) {
    // Explicit pinning replaces CA validation: the admin vouched for this exact certificate.
    const pinned = normalizeFingerprint(trust.trustFingerprint) === normalizeFingerprint(report.fingerprint256);
    if (pinned) {
      report.trusted = true;
      report.trustedBy = 'fingerprint';
      delete report.reason;
    } else {
      report.trusted = false;
      delete report.trustedBy;
      report.reason = 'FINGERPRINT_MISMATCH';
    }
  }
  if (!report.trusted && trust.rejectUnauthorized !== false) {
    const code = report.reason ?? 'CERT_UNTRUSTED';
    return { report, error: Object.assign(new Error(`Untrusted server certificate (${code})`), { code }) };
  }
  return { report };
}

/**
 * tls.connect wrapper with our own verification (see file comment). `onReport` receives the certificate report
 * as soon as the handshake is done, trusted or not. Usable as ldapts' `createSecureConnection` for StartTLS.
 */
export function connectJudgedTls(options: tls.ConnectionOptions, trust: TlsTrustConfig, onReport: (r: CertificateReport) => void): tls.TLSSocket {
  const host = options.host ?? 'localhost';
  const opts: tls.ConnectionOptions = {
    ...options,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  };
  // SNI must be a host name; Node warns about (and RFC 6066 §3 forbids) IP literals.
  if (!opts.servername && !isIP(host)) opts.servername = host;
  if (trust.caPem) opts.ca = trust.caPem;
  const socket = tls.connect(opts);
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'secureConnect') {
      const { report, error } = judgeTlsSocket(socket, trust);
      if (report) onReport(report);
      if (error) {
        socket.destroy(error);
        return false;
      }
    }
    return emit(event, ...args);
  }) as typeof socket.emit;
  return socket;
}
