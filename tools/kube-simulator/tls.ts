/**
 * Certificate authority for the simulator: one CA signs the server certificate, a second one signs client
 * certificates (as a real cluster can have distinct serving and client CAs). Both are generated once per
 * process with ECDSA P-256, which is fast enough to start many simulators. Client certificates share one
 * key pair per process (users are told apart by CN) and are signed synchronously by der.ts.
 */
// @peculiar/x509 relies on the Reflect metadata API (tsyringe inside); it must be loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { fastIssuer, issueFast, type FastIssuer } from './der.js';

// Node's webcrypto and the DOM `Crypto` type differ in small overloads (and the DOM lib may be absent).
// `as never` keeps this compiling with and without the DOM lib in tsconfig.
x509.cryptoProvider.set(webcrypto as never);

// Keys are typed as @peculiar/x509 takes them (the DOM's CryptoKey). Node's own type lists more key usages (ML-KEM's
// "encapsulateBits" in @types/node >= 24) than TypeScript's DOM lib, so generateKeys converts once, at the source.
type CryptoKeyPair = globalThis.CryptoKeyPair;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

/** A CA able to issue certificates. */
interface Authority {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

/** PEM material for the HTTPS server. */
export interface SimulatorTls {
  /** CA that signed the server certificate (what kubeconfigs carry as `certificate-authority-data`). */
  caPem: string;
  /** CA that signs client certificates; the server verifies client certificates against it. */
  clientCaPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** Signs client certificates synchronously (see der.ts). */
  clientIssuer: FastIssuer;
}

/** A client certificate and its private key, PEM encoded. */
export interface ClientCredential {
  certPem: string;
  keyPem: string;
}

let serverCa: Promise<Authority> | undefined;
let clientCa: Promise<Authority> | undefined;
let serverTls: Promise<SimulatorTls> | undefined;
let serial = 1;

const subtle = webcrypto.subtle;

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function nextSerial(): string {
  // Random prefix so certificates of different processes never share a serial.
  const prefix = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `01${prefix}${(serial++).toString(16).padStart(8, '0')}`;
}

async function createAuthority(cn: string): Promise<Authority> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 10 * 365 * DAY),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

async function issue(
  ca: Authority,
  keys: CryptoKeyPair,
  subject: string,
  notAfter: Date,
  usage: x509.ExtendedKeyUsage,
  sans?: x509.JsonGeneralName[],
): Promise<string> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage], false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  if (sans) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  // An already expired certificate (notAfter in the past) still needs notBefore < notAfter.
  const notBefore = new Date(Math.min(Date.now() - DAY, notAfter.getTime() - DAY));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return cert.toString('pem');
}

/** Server TLS material (cached per process): CA, client CA and a server certificate for 127.0.0.1, ::1, localhost. */
export function simulatorTls(): Promise<SimulatorTls> {
  serverTls ??= (async () => {
    serverCa ??= createAuthority('kube-simulator-ca');
    clientCa ??= createAuthority('kube-simulator-client-ca');
    const [ca, cca, keys, clientKeys] = await Promise.all([serverCa, clientCa, generateKeys(), generateKeys()]);
    const serverCertPem = await issue(ca, keys, 'CN=kube-apiserver', new Date(Date.now() + 365 * DAY), x509.ExtendedKeyUsage.serverAuth, [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'localhost' },
      { type: 'dns', value: 'kubernetes.default.svc' },
    ]);
    const ski = cca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '';
    const clientIssuer = fastIssuer(
      Buffer.from(cca.cert.subjectName.toArrayBuffer()),
      Buffer.from(ski, 'hex'),
      Buffer.from(await subtle.exportKey('pkcs8', cca.keys.privateKey)),
      await keyToPem(clientKeys.privateKey),
    );
    return { caPem: ca.pem, clientCaPem: cca.pem, serverCertPem, serverKeyPem: await keyToPem(keys.privateKey), clientIssuer };
  })();
  return serverTls;
}

/**
 * Issues a client certificate signed by the client CA, synchronously. `O=system:masters` mirrors what kubeadm
 * gives admins; the CN is the user name the simulator maps to a virtual cluster.
 */
export function issueClientCert(tls: SimulatorTls, cn: string, notAfter: Date = new Date(Date.now() + 365 * DAY)): ClientCredential {
  return { certPem: issueFast(tls.clientIssuer, cn, 'system:masters', notAfter), keyPem: tls.clientIssuer.keyPem };
}

/** Issues a throw-away self-signed CA PEM, unrelated to the simulator (for wrong-CA tests). */
export async function unrelatedCaPem(): Promise<string> {
  return (await createAuthority('unrelated-ca')).pem;
}
