import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { AuditManager, AuditPage } from '../audit/audit.manager.js';
import type { RequestContext } from '../auth/principal.js';
import { AuditEventConnectionType, AuditFilterInput } from '../schema/audit.type.js';

/** GraphQL adapter of the audit log. */
@Resolver()
export class AuditResolver {
  constructor(private readonly manager: AuditManager) {}

  @Query(() => AuditEventConnectionType, { description: 'The audit log, newest first (global admins only).' })
  auditEvents(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => AuditFilterInput, { description: 'Only events matching every given condition; all when absent.', nullable: true })
    filter?: AuditFilterInput | null,
    @Arg('first', () => Int, { description: 'Page size, 1-500 (default 50).', nullable: true }) first?: number | null,
    @Arg('after', () => String, { description: '`pageInfo.endCursor` of the previous page.', nullable: true }) after?: string | null,
  ): Promise<AuditPage> {
    return this.manager.list(ctx, filter, first, after);
  }
}
