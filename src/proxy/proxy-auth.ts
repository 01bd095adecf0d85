import { TokenKeysUnavailableError, type TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import { isClusterBoundToken } from '../access/issued-token.js';
import { AuthenticationUnavailableError, UnauthenticatedError } from '../errors.js';
import type { ProxyAuthenticator } from './ports.js';

/**
 * Tokens the proxy accepts: a kubeconfig token the gateway issued for this very cluster (checked by the token manager:
 * signature, expiry, binding, revocation), or a user's gateway token (what GraphQL and REST accept).
 */
export class ProxyTokenAuthenticator implements ProxyAuthenticator {
  constructor(
    private readonly users: TokenVerifier,
    private readonly issued: { authenticate(token: string, clusterId: number): Promise<Principal> },
  ) {}

  async authenticate(token: string, clusterId: number): Promise<Principal> {
    if (isClusterBoundToken(token)) return this.issued.authenticate(token, clusterId);
    let principal: Principal;
    await this.users.prepare?.(token).catch(() => {});
    try {
      principal = this.users.verify(token);
    } catch (err) {
      if (err instanceof TokenKeysUnavailableError) throw new AuthenticationUnavailableError(err.message);
      throw new UnauthenticatedError((err as Error).message || 'token is invalid');
    }
    if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) throw new UnauthenticatedError('token has expired');
    return principal;
  }
}
