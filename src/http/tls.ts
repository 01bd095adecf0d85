// @peculiar/x509 relies on the Reflect metadata API (tsyringe inside); it must be loaded first.
import 'reflect-metadata';
import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ensurePrivateDir, makeFilePrivate, StartupError } from '../startup-checks.js';

/**
 * HTTPS for the gateway (kubectl sends bearer tokens only over TLS). Either the operator's certificate
 * (TLS_CERT_FILE / TLS_KEY_FILE), or, in embedded mode, a CA and a serving certificate generated into DATA_DIR/tls on
 * first start (files 0600) and reused afterwards. The serving certificate is re-issued from the same CA when it nears
 * expiry or lacks a needed name (PUBLIC_URL changed), so kubeconfigs already issued (which carry the CA) keep working.
 */

x509.cryptoProvider.set(webcrypto as never);

export interface ServingTls {
  keyPem: string;
  certPem: string;
  /** The CA issued kubeconfigs carry; undefined when clients should trust the certificate through their system roots. */
  caPem: string | undefined;
  /** Where the material came from, for the start banner. */
  source: string;
}

export interface TlsOptions {
  certFile?: string;
  keyFile?: string;
  /** Generate into this directory when no files are given (embedded mode only); undefined: no HTTPS without files. */
  generateInto?: string;
  /** Names the serving certificate must cover (localhost, 127.0.0.1, the host name, PUBLIC_URL's host). */
  hostNames: readonly string[];
}

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const RENEW_BEFORE_MS = 30 * DAY;

export async function resolveServingTls(o: TlsOptions): Promise<ServingTls | undefined> {
  if (o.certFile && o.keyFile) {
    const read = (file: string, what: string) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        throw new StartupError(`${what} ${file} cannot be read: ${(err as Error).message}`);
      }
    };
    const certPem = read(o.certFile, 'TLS_CERT_FILE');
    const keyPem = read(o.keyFile, 'TLS_KEY_FILE');
    // The last certificate of the chain file is the one closest to a root: what a kubeconfig can pin as its CA.
    const chain = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (chain.length === 0) throw new StartupError(`TLS_CERT_FILE ${o.certFile} holds no PEM certificate`);
    return { keyPem, certPem, caPem: `${chain[chain.length - 1]}\n`, source: o.certFile };
  }
  if (!o.generateInto) return undefined;
  return generated(o.generateInto, o.hostNames);
}

async function generated(dir: string, hostNames: readonly string[]): Promise<ServingTls> {
  ensurePrivateDir(dir);
  const files = { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  let ca = await loadAuthority(files.caCert, files.caKey);
  if (!ca) {
    ca = await createAuthority();
    writePrivate(files.caKey, ca.keyPem);
    writePrivate(files.caCert, ca.pem);
  }
  const existing = readIfExists(files.cert);
  const existingKey = readIfExists(files.key);
  if (existing && existingKey && servingCertFits(existing, ca.pem, hostNames)) {
    makeFilePrivate(files.cert);
    makeFilePrivate(files.key);
    return { keyPem: existingKey, certPem: existing, caPem: ca.pem, source: `generated in ${dir}` };
  }
  const { certPem, keyPem } = await issueServingCert(ca, hostNames);
  writePrivate(files.key, keyPem);
  writePrivate(files.cert, certPem);
  return { keyPem, certPem, caPem: ca.pem, source: `generated in ${dir}` };
}

interface Authority {
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
  pem: string;
  keyPem: string;
}

async function createAuthority(): Promise<Authority> {
  const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=kube-gateway CA',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 10 * 365 * DAY),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, privateKey: keys.privateKey, pem: cert.toString('pem') + '\n', keyPem: await keyToPem(keys.privateKey) };
}

async function loadAuthority(certFile: string, keyFile: string): Promise<Authority | undefined> {
  const pem = readIfExists(certFile);
  const keyPem = readIfExists(keyFile);
  if (!pem || !keyPem) return undefined;
  makeFilePrivate(certFile);
  makeFilePrivate(keyFile);
  const der = x509.PemConverter.decode(keyPem)[0];
  if (!der) throw new StartupError(`${keyFile} holds no PEM private key`);
  const privateKey = (await webcrypto.subtle.importKey('pkcs8', der, EC_KEY, true, ['sign'])) as unknown as CryptoKey;
  return { cert: new x509.X509Certificate(pem), privateKey, pem, keyPem };
}

async function issueServingCert(ca: Authority, hostNames: readonly string[]): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const sans: x509.JsonGeneralName[] = [...new Set(hostNames)].map((h) => ({ type: isIP(h) ? 'ip' : 'dns', value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-gateway',
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - DAY),
    // 397 days: the longest validity browsers and macOS accept for a serving certificate.
    notAfter: new Date(Date.now() + 397 * DAY),
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
      new x509.SubjectAlternativeNameExtension(sans, false),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyToPem(keys.privateKey) };
}

/** The stored serving certificate is still good: signed by this CA, valid for a month more, covering every name. */
function servingCertFits(certPem: string, caPem: string, hostNames: readonly string[]): boolean {
  try {
    const cert = new NodeX509(certPem);
    if (!cert.verify(new NodeX509(caPem).publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return hostNames.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

async function keyToPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key as never), 'PRIVATE KEY') + '\n';
}

function serial(): string {
  return `01${Buffer.from(webcrypto.getRandomValues(new Uint8Array(15))).toString('hex')}`;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writePrivate(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  makeFilePrivate(file);
}
