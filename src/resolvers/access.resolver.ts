import { Arg, Ctx, Extensions, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { AccessManager } from '../access/access.manager.js';
import type { ClusterGrantView } from '../access/grants.repository.js';
import type { ClusterRoleValue } from '../access/roles.js';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { ClusterGrantType, GrantClusterAccessInput } from '../schema/access.type.js';
import { ClusterType } from '../schema/cluster.type.js';
import { ClusterRole } from '../schema/enums.js';
import { PER_CALLER } from '../schema/field-extensions.js';

/** GraphQL adapter of the access model: each field is one call to `AccessManager` (which authorizes). */
@Resolver(() => ClusterType)
export class AccessResolver {
  constructor(private readonly access: AccessManager) {}

  @FieldResolver(() => ClusterRole, { description: 'Your role on this cluster (ADMIN for global admins).' })
  @Extensions(PER_CALLER)
  myRole(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<ClusterRoleValue> {
    return this.access.requireRole(ctx, cluster.id, 'viewer');
  }

  @FieldResolver(() => [ClusterGrantType], {
    description: 'Who holds which role on this cluster: for its admins; empty for everyone else (an error would null every list it appears in).',
  })
  @Extensions(PER_CALLER)
  grants(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<ClusterGrantView[]> {
    return this.access.grantsShownTo(ctx, cluster.id);
  }

  @Mutation(() => ClusterGrantType, { description: 'Cluster admins: gives a user or group a role on the cluster (again: changes it).' })
  grantClusterAccess(
    @Arg('input', () => GrantClusterAccessInput, { description: 'Who gets which role on which cluster.' }) input: GrantClusterAccessInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ClusterGrantView> {
    return this.access.grant(ctx, input);
  }

  @Mutation(() => Boolean, { description: 'Cluster admins: removes a grant; it stops applying at once.' })
  async revokeClusterAccess(@Arg('id', () => ID, { description: 'The grant id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await this.access.revoke(ctx, id);
    return true;
  }
}
