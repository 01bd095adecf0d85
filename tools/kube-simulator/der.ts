/**
 * Minimal, synchronous DER encoder for the client certificates of virtual clusters.
 *
 * Why not @peculiar/x509 here: it costs ~3 ms and an `await` per certificate, which makes 1,000 virtual
 * clusters take seconds and forces `addCluster()` to be async. A client certificate has a fixed shape, so we
 * encode its TBSCertificate by hand and sign it with node:crypto (ECDSA P-256, SHA-256) in ~0.1 ms.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const octets = (...c: Buffer[]): Buffer => tlv(0x04, ...c);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** Positive INTEGER from big-endian bytes (a leading zero keeps it positive). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && ((b[1] ?? 0) & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, ((b[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z'); // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** What is needed to sign client certificates without async work. */
export interface FastIssuer {
  /** DER of the issuer CA's subject Name. */
  issuerName: Buffer;
  /** Subject key identifier of the issuer CA (for the authority key identifier extension). */
  issuerKeyId: Buffer;
  issuerKey: KeyObject;
  /** Key pair shared by all client certificates (users are told apart by CN). */
  keyPem: string;
  spki: Buffer;
}

/** Prepares a `FastIssuer` from the CA's PKCS#8 key and subject. */
export function fastIssuer(issuerName: Buffer, issuerKeyId: Buffer, issuerKeyPkcs8: Buffer, clientKeyPem: string): FastIssuer {
  const issuerKey = createPrivateKey({ key: issuerKeyPkcs8, format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(clientKeyPem).export({ type: 'spki', format: 'der' });
  return { issuerName, issuerKeyId, issuerKey, keyPem: clientKeyPem, spki };
}

/** Issues a client certificate `O=<org>, CN=<cn>` valid until `notAfter`; returns the PEM. */
export function issueFast(issuer: FastIssuer, cn: string, org: string, notAfter: Date): string {
  const day = 24 * 3600 * 1000;
  const notBefore = new Date(Math.min(Date.now() - day, notAfter.getTime() - day));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive, as Go's parser demands
  const subject = seq(set(seq(oid('2.5.4.10'), utf8(org))), set(seq(oid('2.5.4.3'), utf8(cn))));
  const extensions = seq(
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x05, 0xa0]))), // keyUsage: digitalSignature, keyEncipherment
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.2'))), // extKeyUsage: clientAuth
    extension('2.5.29.19', true, seq()), // basicConstraints: CA false
    extension('2.5.29.35', false, seq(tlv(0x80, issuer.issuerKeyId))), // authorityKeyIdentifier
  );
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_SHA256,
    issuer.issuerName,
    seq(time(notBefore), time(notAfter)),
    subject,
    issuer.spki,
    tlv(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, issuer.issuerKey); // DER-encoded ECDSA signature
  const cert = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const b64 = cert
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
