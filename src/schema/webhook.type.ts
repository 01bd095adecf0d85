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

const upperEnum = <V extends string>(values: readonly V[]) =>
  Object.freeze(Object.fromEntries(values.map((v) => [v.toUpperCase(), v]))) as { readonly [K in V as Uppercase<K>]: K };

/** Includes PING, which only testWebhook's deliveries carry; createWebhook/updateWebhook refuse it (400 `events`). */
export const WebhookEvent = upperEnum(WEBHOOK_DELIVERY_EVENTS);
export const WebhookFormat = upperEnum(WEBHOOK_FORMATS);
registerEnumType(WebhookEvent, {
  name: 'WebhookEvent',
  description: 'What a webhook is told about. PING marks testWebhook deliveries and cannot be subscribed to.',
  valuesConfig: {
    CLUSTER_CREATED: { description: 'A cluster was registered.' },
    CLUSTER_UPDATED: { description: "A cluster's settings changed." },
    CLUSTER_DELETED: { description: 'A cluster was deleted.' },
    CLUSTER_HEALTH_CHANGED: { description: "A cluster's shown health state changed." },
    CREDENTIALS_EXPIRING: { description: "A cluster's client certificate or token expires soon." },
    DISCOVERY_FINISHED: { description: 'A Prometheus discovery task ended.' },
    PING: { description: 'A test delivery sent by testWebhook.' },
  },
});
registerEnumType(WebhookFormat, {
  name: 'WebhookFormat',
  description: 'JSON (signed event document) or SLACK (an incoming-webhook `text` message).',
  valuesConfig: { JSON: { description: 'The signed event document as JSON.' }, SLACK: { description: 'A Slack incoming-webhook message (`text`).' } },
});

// Every field names its type explicitly: esbuild (tests, tsx) emits no decorator metadata.
@ObjectType('WebhookDelivery', { description: 'One event sent to one webhook, with the state of its latest attempt.' })
export class WebhookDeliveryType implements Omit<WebhookDeliveryView, 'webhookId' | 'lastError' | 'updatedAt'> {
  @Field(() => ID, { description: 'The delivery id.' })
  id!: number;

  @Field(() => WebhookEvent, { description: 'The event delivered.' })
  event!: WebhookDeliveryEventValue;

  @Field(() => ID, { description: 'The cluster the event is about; null for PING.', nullable: true })
  clusterId!: number | null;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempt!: number;

  @Field(() => String, { description: 'pending, delivering, succeeded or failed.' })
  status!: WebhookDeliveryStatusValue;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status on the latest attempt." })
  responseStatus!: number | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the next attempt is due, while retrying.' })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeResolver, { description: 'When the event happened (the delivery was queued).' })
  createdAt!: Date;
}

@ObjectType('Webhook', { description: 'An endpoint told about cluster events; managed by global admins.' })
export class WebhookType implements Omit<WebhookView, 'updatedAt'> {
  @Field(() => ID, { description: 'The webhook id.' })
  id!: number;

  @Field(() => String, { description: 'Where events are POSTed (http or https).' })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The events it is told about.' })
  events!: WebhookEventValue[];

  @Field(() => WebhookFormat, { description: 'How each event is rendered.' })
  format!: WebhookFormatValue;

  @Field(() => Boolean, { description: 'Disabled webhooks receive nothing.' })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Only clusters whose labels match are reported (Kubernetes selector syntax).' })
  labelSelector!: string | null;

  @Field(() => DateTimeResolver, { description: 'When the webhook was created.' })
  createdAt!: Date;
}

@ObjectType('CreatedWebhook', { description: 'A webhook just created, with its signing secret (shown this once).' })
export class CreatedWebhookType {
  @Field(() => WebhookType, { description: 'The webhook as stored.' })
  webhook!: WebhookType;

  @Field(() => String, { description: 'The HMAC-SHA256 signing secret. Shown this once; it cannot be read back.' })
  secret!: string;
}

@InputType('CreateWebhookInput', { description: 'A webhook to create.' })
export class CreateWebhookInput {
  @Field(() => String, { description: 'Where to POST events: http(s), no credentials in it.' })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The events to be told about (not PING).' })
  events!: string[];

  @Field(() => WebhookFormat, { description: 'How each event is rendered (default JSON).', nullable: true })
  format?: string | null;

  @Field(() => String, { nullable: true, description: 'Generated when not given.' })
  secret?: string | null;

  @Field(() => String, {
    description: 'Only clusters whose labels match are reported (Kubernetes selector syntax); all when absent.',
    nullable: true,
  })
  labelSelector?: string | null;

  @Field(() => Boolean, { description: 'Whether it receives events (default true).', nullable: true })
  enabled?: boolean | null;
}

@InputType('UpdateWebhookInput', { description: 'Fields of a webhook to change; absent (or null) fields stay as they are.' })
export class UpdateWebhookInput {
  @Field(() => String, { description: 'A new URL: http(s), no credentials in it.', nullable: true })
  url?: string | null;

  @Field(() => [WebhookEvent], { description: 'A new set of events (not PING).', nullable: true })
  events?: string[] | null;

  @Field(() => WebhookFormat, { description: 'A new format.', nullable: true })
  format?: string | null;

  @Field(() => String, { nullable: true, description: 'An empty string removes the selector.' })
  labelSelector?: string | null;

  @Field(() => Boolean, { description: 'false stops deliveries without deleting the webhook.', nullable: true })
  enabled?: boolean | null;
}
