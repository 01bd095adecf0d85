import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for kubeconfigs at rest. The envelope records the key id, so a new `ENCRYPTION_KEY` can be rolled out
 * while rows written under the previous key (listed in `ENCRYPTION_PREVIOUS_KEYS`) still decrypt.
 * Envelope: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
export class KubeconfigCipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    this.currentKeyId = keyId(currentKey);
    for (const key of [currentKey, ...previousKeys]) this.keys.set(keyId(key), key);
  }

  encrypt(plaintext: string): { ciphertext: string; keyId: string } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = ['v1', this.currentKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')];
    return { ciphertext: parts.join('.'), keyId: this.currentKeyId };
  }

  decrypt(envelope: string): string {
    const [version, id, iv, tag, body] = envelope.split('.');
    if (version !== 'v1' || !id || !iv || !tag || body === undefined) throw new Error('unrecognised kubeconfig envelope');
    const key = this.keys.get(id);
    if (!key) throw new Error(`kubeconfig was encrypted with key ${id}, which is not configured (ENCRYPTION_PREVIOUS_KEYS)`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

const AAD = Buffer.from('kube-gateway:kubeconfig');

/** A short public fingerprint of a key: safe to store and log, useless for decryption. */
function keyId(key: Buffer): string {
  return createHash('sha256').update('kube-gateway-key-id:').update(key).digest('hex').slice(0, 16);
}
