import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { IssuedKubeconfig, TokenManager } from '../access/token.manager.js';
import type { AccessTokenView } from '../access/tokens.repository.js';
import { AccessTokenType, IssuedKubeconfigType } from '../schema/access-token.type.js';

@Resolver()
export class AccessTokenResolver {
  constructor(private readonly tokens: TokenManager) {}

  @Query(() => [AccessTokenType], { description: "Tokens of your issued kubeconfigs (global admins: everyone's), newest first." })
  accessTokens(@Ctx() ctx: RequestContext): Promise<AccessTokenView[]> {
    return this.tokens.list(ctx);
  }

  @Mutation(() => IssuedKubeconfigType, { description: 'A kubeconfig for this cluster through the gateway (TTL default 8 h, at most 24 h).' })
  issueClusterKubeconfig(
    @Arg('clusterId', () => ID, { description: 'The cluster the kubeconfig (and its token) is for.' }) clusterId: string,
    @Arg('ttlSeconds', () => Int, { description: 'Lifetime in seconds (default 8 hours, at most 24 hours).', nullable: true }) ttlSeconds:
      | number
      | null,
    @Ctx() ctx: RequestContext,
  ): Promise<IssuedKubeconfig> {
    return this.tokens.issue(ctx, clusterId, ttlSeconds, 'ttlSeconds');
  }

  @Mutation(() => Boolean, { description: 'Revokes an issued kubeconfig token at once, on every replica.' })
  revokeAccessToken(
    @Arg('id', () => ID, { description: 'The token id (AccessToken.id or IssuedKubeconfig.tokenId).' }) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return this.tokens.revoke(ctx, id);
  }
}
