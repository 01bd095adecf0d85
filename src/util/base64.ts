const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * True when `text` is standard base64 (RFC 4648 alphabet, `=` padding only at the end). The one check every input
 * that must be base64 uses (REST kubeconfig bodies, ENCRYPTION_KEY, kubeconfig `*-data` fields). Whitespace is not
 * removed here: callers that accept wrapped base64 compact it first. `requirePadding: false` also accepts unpadded text.
 */
export function isBase64(text: string, opts: { requirePadding?: boolean } = {}): boolean {
  return BASE64.test(text) && (opts.requirePadding === false || text.length % 4 === 0);
}
