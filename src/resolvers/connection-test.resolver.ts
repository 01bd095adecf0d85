import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { requireUser, type RequestContext } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.service.js';
import type { ConnectionTestService, ConnectionTestView } from '../health/connection-test.service.js';
import { ConnectionTestResultType } from '../schema/connection-test.type.js';

@Resolver()
export class ConnectionTestResolver {
  constructor(private readonly service: ConnectionTestService) {}

  @Mutation(() => ConnectionTestResultType, { description: 'Reaches the cluster now and records the result as its health.' })
  async testClusterConnection(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ConnectionTestView> {
    requireUser(ctx);
    return this.service.test(parseClusterId(id));
  }
}
