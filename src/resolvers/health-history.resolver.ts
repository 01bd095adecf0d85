import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { DateTimeResolver } from 'graphql-scalars';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { AvailabilityView, AvailabilityWindowValue } from '../fleet/availability.js';
import type { HealthHistoryManager, HistoryPage } from '../fleet/health-history.manager.js';
import { ClusterType } from '../schema/cluster.type.js';
import { AvailabilityType, AvailabilityWindow, HealthEventConnectionType } from '../schema/health-history.type.js';

/** Health history, availability and lastHealthyAt on `Cluster`: each field one call to HealthHistoryManager. */
@Resolver(() => ClusterType)
export class HealthHistoryResolver {
  constructor(private readonly manager: HealthHistoryManager) {}

  @FieldResolver(() => HealthEventConnectionType, { description: 'Committed health transitions, newest first.' })
  healthHistory(
    @Root() cluster: ClusterView,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { description: 'Page size, 1-500 (default 50).', nullable: true }) first?: number | null,
    @Arg('after', () => String, { description: '`pageInfo.endCursor` of the previous page.', nullable: true }) after?: string | null,
    @Arg('since', () => DateTimeResolver, { description: 'Only transitions at or after this time.', nullable: true }) since?: Date | null,
  ): Promise<HistoryPage> {
    return this.manager.historyOf(ctx, cluster.id, { first: first ?? undefined, after: after ?? undefined, since: since ?? undefined });
  }

  @FieldResolver(() => AvailabilityType, {
    description: 'How much of a window the cluster was reachable and healthy, from its committed health transitions.',
  })
  availability(
    @Root() cluster: ClusterView,
    @Ctx() ctx: RequestContext,
    @Arg('window', () => AvailabilityWindow, { description: 'The window ending now (default DAY).' }) window: AvailabilityWindowValue,
  ): Promise<AvailabilityView> {
    return this.manager.availabilityOf(ctx, cluster.id, window);
  }

  @FieldResolver(() => DateTimeResolver, { nullable: true, description: 'The last time the cluster was seen HEALTHY or WARNING.' })
  lastHealthyAt(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<Date | null> {
    return this.manager.lastHealthyAt(ctx, cluster.id);
  }
}
