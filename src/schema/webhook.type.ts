import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  WEBHOOK_DELIVERY_EVENTS,
  WEBHOOK_FORMATS,
  type WebhookDeliveryEventValue,
  type WebhookDeliveryStatusValue,
  type WebhookEventValue,
  type WebhookFormatValue,
} from '../db/schema.js';
import type { WebhookDeliveryView, WebhookView } from '../webhooks/webhook.view.js';

const upperEnum = <V extends string>(values: readonly V[]) => Object.freeze(Object.fromEntries(values.map((v) => [v.toUpperCase(), v]))) as { readonly [K in V as Uppercase<K>]: K };

/** Includes PING, which only testWebhook's deliveries carry; createWebhook/updateWebhook refuse it (400 `events`). */
export const WebhookEvent = upperEnum(WEBHOOK_DELIVERY_EVENTS);
export const WebhookFormat = upperEnum(WEBHOOK_FORMATS);
registerEnumType(WebhookEvent, {
  name: 'WebhookEvent',
  description: 'What a webhook is told about. PING marks testWebhook deliveries and cannot be subscribed to.',
});
registerEnumType(WebhookFormat, { name: 'WebhookFormat', description: 'JSON (signed event document) or SLACK (an incoming-webhook `text` message).' });

// Every field names its type explicitly: esbuild (tests, tsx) emits no decorator metadata.
@ObjectType('WebhookDelivery', { description: 'One event sent to one webhook, with the state of its latest attempt.' })
export class WebhookDeliveryType implements Omit<WebhookDeliveryView, 'webhookId' | 'lastError' | 'updatedAt'> {
  @Field(() => ID)
  id!: number;

  @Field(() => WebhookEvent)
  event!: WebhookDeliveryEventValue;

  @Field(() => ID, { nullable: true })
  clusterId!: number | null;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempt!: number;

  @Field(() => String, { description: 'pending, delivering, succeeded or failed.' })
  status!: WebhookDeliveryStatusValue;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status on the latest attempt." })
  responseStatus!: number | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the next attempt is due, while retrying.' })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeResolver)
  createdAt!: Date;
}

@ObjectType('Webhook', { description: 'An endpoint told about cluster events; managed by global admins.' })
export class WebhookType implements Omit<WebhookView, 'updatedAt'> {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  url!: string;

  @Field(() => [WebhookEvent])
  events!: WebhookEventValue[];

  @Field(() => WebhookFormat)
  format!: WebhookFormatValue;

  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Only clusters whose labels match are reported (Kubernetes selector syntax).' })
  labelSelector!: string | null;

  @Field(() => DateTimeResolver)
  createdAt!: Date;
}

@ObjectType('CreatedWebhook')
export class CreatedWebhookType {
  @Field(() => WebhookType)
  webhook!: WebhookType;

  @Field(() => String, { description: 'The HMAC-SHA256 signing secret. Shown this once; it cannot be read back.' })
  secret!: string;
}

@InputType('CreateWebhookInput')
export class CreateWebhookInput {
  @Field(() => String)
  url!: string;

  @Field(() => [WebhookEvent])
  events!: string[];

  @Field(() => WebhookFormat, { nullable: true })
  format?: string | null;

  @Field(() => String, { nullable: true, description: 'Generated when not given.' })
  secret?: string | null;

  @Field(() => String, { nullable: true })
  labelSelector?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}

@InputType('UpdateWebhookInput')
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [WebhookEvent], { nullable: true })
  events?: string[] | null;

  @Field(() => WebhookFormat, { nullable: true })
  format?: string | null;

  @Field(() => String, { nullable: true, description: 'An empty string removes the selector.' })
  labelSelector?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}
