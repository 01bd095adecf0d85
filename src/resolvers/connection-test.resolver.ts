import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ConnectionTestManager } from '../health/connection-test.manager.js';
import type { ConnectionTestView } from '../health/connection-test.service.js';
import { ConnectionTestResultType } from '../schema/connection-test.type.js';

@Resolver()
export class ConnectionTestResolver {
  constructor(private readonly manager: ConnectionTestManager) {}

  @Mutation(() => ConnectionTestResultType, { description: 'Reaches the cluster now and records the result as its health.' })
  testClusterConnection(
    @Arg('id', () => ID, { description: 'The cluster id.' }) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionTestView> {
    return this.manager.testConnection(ctx, id);
  }
}
