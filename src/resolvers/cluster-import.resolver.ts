import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterImportManager } from '../fleet/cluster-import.manager.js';
import type { ClusterImportCommand, ImportPlanItem, ImportResultItem } from '../fleet/cluster-import.service.js';
import { ClusterImportInput, ClusterImportPlanType, ClusterImportResultType } from '../schema/cluster-import.type.js';

const command = (input: ClusterImportInput): ClusterImportCommand => ({
  kubeconfig: input.kubeconfig,
  contexts: input.contexts ?? undefined,
  labels: input.labels ? Object.fromEntries(input.labels.map((l) => [l.key, l.value])) : undefined,
  namePrefix: input.namePrefix ?? undefined,
  updateExisting: input.updateExisting ?? undefined,
  setDefaultFromCurrentContext: input.setDefaultFromCurrentContext ?? undefined,
});

/** GraphQL adapter of kubeconfig import: each field one ClusterImportManager call. */
@Resolver()
export class ClusterImportResolver {
  constructor(private readonly manager: ClusterImportManager) {}

  @Query(() => ClusterImportPlanType, {
    description: 'Per context: the cluster name, the server, what applying would do and why, and whether the server answered. Admins only.',
  })
  async planClusterImport(
    @Arg('input', () => ClusterImportInput, { description: 'The kubeconfig to import and how.' }) input: ClusterImportInput,
    @Ctx() ctx: RequestContext,
  ): Promise<{ items: ImportPlanItem[] }> {
    return { items: await this.manager.plan(ctx, command(input)) };
  }

  @Mutation(() => ClusterImportResultType, {
    description: 'Imports the contexts; one result per context, one failure never blocks the others. Admins only.',
  })
  async applyClusterImport(
    @Arg('input', () => ClusterImportInput, { description: 'The kubeconfig to import and how.' }) input: ClusterImportInput,
    @Ctx() ctx: RequestContext,
  ): Promise<{ items: ImportResultItem[] }> {
    return { items: await this.manager.apply(ctx, command(input)) };
  }
}
