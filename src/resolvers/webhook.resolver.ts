import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import { CreatedWebhookType, CreateWebhookInput, UpdateWebhookInput, WebhookDeliveryType, WebhookType } from '../schema/webhook.type.js';
import type { CreatedWebhook, WebhookManager } from '../webhooks/webhook.manager.js';
import type { WebhookDeliveryView, WebhookView } from '../webhooks/webhook.view.js';

/** Drops explicit GraphQL nulls: "not given" and "null" mean the same for optional inputs. */
const given = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** GraphQL adapter of the webhooks: every field is one call to `WebhookManager` (which authorizes). */
@Resolver(() => WebhookType)
export class WebhookResolver {
  constructor(private readonly manager: WebhookManager) {}

  @Query(() => [WebhookType], { description: 'Every webhook (global admins only).' })
  webhooks(@Ctx() ctx: RequestContext): Promise<WebhookView[]> {
    return this.manager.list(ctx);
  }

  @Mutation(() => CreatedWebhookType, { description: 'Creates a webhook (global admins); the answer holds its signing secret, shown this once.' })
  createWebhook(
    @Arg('input', () => CreateWebhookInput, { description: "The new webhook's URL, events and settings." }) input: CreateWebhookInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CreatedWebhook> {
    return this.manager.create(ctx, {
      url: input.url,
      events: input.events,
      format: given(input.format),
      secret: given(input.secret),
      labelSelector: given(input.labelSelector),
      enabled: given(input.enabled),
    });
  }

  @Mutation(() => WebhookType, { description: "Changes any subset of a webhook's settings (global admins)." })
  updateWebhook(
    @Arg('id', () => ID, { description: 'The webhook id.' }) id: string,
    @Arg('input', () => UpdateWebhookInput, { description: 'The fields to change; absent fields stay as they are.' }) input: UpdateWebhookInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookView> {
    return this.manager.update(ctx, id, {
      url: given(input.url),
      events: given(input.events),
      format: given(input.format),
      labelSelector: given(input.labelSelector),
      enabled: given(input.enabled),
    });
  }

  @Mutation(() => Boolean, { description: 'Deletes a webhook and its delivery log (global admins).' })
  async deleteWebhook(@Arg('id', () => ID, { description: 'The webhook id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await this.manager.remove(ctx, id);
    return true;
  }

  @Mutation(() => WebhookDeliveryType, { description: 'Sends a PING now; answers with its delivery (status, HTTP status).' })
  testWebhook(@Arg('id', () => ID, { description: 'The webhook id.' }) id: string, @Ctx() ctx: RequestContext): Promise<WebhookDeliveryView> {
    return this.manager.test(ctx, id);
  }

  @FieldResolver(() => [WebhookDeliveryType], { description: 'The delivery log, newest first (default 20, at most 100).' })
  deliveries(
    @Root() webhook: WebhookView,
    @Arg('first', () => Int, { description: 'How many, newest first: 1-100 (default 20).', nullable: true }) first: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookDeliveryView[]> {
    return this.manager.deliveries(ctx, webhook.id, given(first));
  }
}
