import type { WebhookDeliveryEventValue, WebhookDeliveryStatusValue, WebhookEventValue, WebhookFormatValue } from '../db/schema.js';

/** A webhook as every transport renders it. Never the signing secret. */
export interface WebhookView {
  id: number;
  url: string;
  events: WebhookEventValue[];
  format: WebhookFormatValue;
  enabled: boolean;
  labelSelector: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One row of the delivery log: an occurrence for one webhook and the state of its latest attempt. */
export interface WebhookDeliveryView {
  id: number;
  webhookId: number;
  event: WebhookDeliveryEventValue;
  clusterId: number | null;
  attempt: number;
  status: WebhookDeliveryStatusValue;
  responseStatus: number | null;
  /** Why the latest attempt failed when no HTTP status says it (timeout, refused, redirect not followed…). */
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
