/**
 * The signed-in token: kept in sessionStorage (this tab only, gone when it closes), cleared on sign-out. A token can
 * also be handed over in the URL fragment (`/ui/#token=…`, printed by `kube-gateway token --open`); the fragment never
 * reaches the server, and it is removed from the address bar (and so from the history) as soon as it is read.
 */
const KEY = 'kube-gateway.token';

export function takeTokenFromFragment(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token === null) return null;
  history.replaceState(history.state, '', location.pathname + location.search);
  return token.trim() || null;
}

export const storedToken = () => sessionStorage.getItem(KEY);
export const storeToken = (token: string) => sessionStorage.setItem(KEY, token);
export const clearToken = () => sessionStorage.removeItem(KEY);

/**
 * The token's `exp` (milliseconds), read without verifying anything: only to bring the sign-in form back when the
 * token runs out. The gateway alone decides whether a token is valid.
 */
export function tokenExpiresAt(token: string): number | null {
  try {
    const payload = token.split('.')[1];
    if (!payload) return null;
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp * 1000 : null;
  } catch {
    return null;
  }
}
