CREATE TYPE "public"."cluster_role" AS ENUM('viewer', 'editor', 'admin');--> statement-breakpoint
CREATE TYPE "public"."subject_kind" AS ENUM('user', 'group');--> statement-breakpoint
CREATE TYPE "public"."webhook_delivery_status" AS ENUM('pending', 'delivering', 'succeeded', 'failed');--> statement-breakpoint
CREATE TYPE "public"."webhook_event" AS ENUM('cluster_created', 'cluster_updated', 'cluster_deleted', 'cluster_health_changed', 'credentials_expiring', 'discovery_finished', 'ping');--> statement-breakpoint
CREATE TYPE "public"."webhook_format" AS ENUM('json', 'slack');--> statement-breakpoint
CREATE TABLE "access_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"jti" varchar(64) NOT NULL,
	"subject" text NOT NULL,
	"groups" text[] DEFAULT '{}'::text[] NOT NULL,
	"cluster_id" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone,
	CONSTRAINT "access_tokens_expiry_ck" CHECK ("access_tokens"."expires_at" > "access_tokens"."created_at")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"cluster_id" integer,
	"cluster_name" text,
	"target" text,
	"outcome" smallint NOT NULL,
	"request_id" text,
	"source_ip" text,
	CONSTRAINT "audit_events_outcome_ck" CHECK ("audit_events"."outcome" BETWEEN 100 AND 599)
);
--> statement-breakpoint
CREATE TABLE "cluster_grants" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cluster_grants_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cluster_id" integer NOT NULL,
	"subject" varchar(256) NOT NULL,
	"subject_kind" "subject_kind" NOT NULL,
	"role" "cluster_role" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" varchar(256) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_health_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cluster_health_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"cluster_id" integer NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"from_status" "health_status" NOT NULL,
	"to_status" "health_status" NOT NULL,
	"message" text,
	CONSTRAINT "cluster_health_events_is_transition" CHECK ("cluster_health_events"."from_status" <> "cluster_health_events"."to_status")
);
--> statement-breakpoint
CREATE TABLE "periodic_job_claims" (
	"job" text PRIMARY KEY NOT NULL,
	"claimed_by" text NOT NULL,
	"claimed_until" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_credential_alerts" (
	"cluster_id" integer NOT NULL,
	"credential_expires_at" timestamp (3) with time zone NOT NULL,
	"fired_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_credential_alerts_cluster_id_pk" PRIMARY KEY("cluster_id")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"webhook_id" integer NOT NULL,
	"event" "webhook_event" NOT NULL,
	"cluster_id" integer,
	"payload" jsonb NOT NULL,
	"dedupe_key" text NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'pending' NOT NULL,
	"response_status" integer,
	"last_error" text,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now(),
	"lease_owner" text,
	"lease_until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event" "webhook_event" NOT NULL,
	"cluster_id" integer NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhooks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"url_ciphertext" text NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"events" "webhook_event"[] NOT NULL,
	"format" "webhook_format" DEFAULT 'json' NOT NULL,
	"label_selector" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhooks_events_nonempty" CHECK (cardinality("webhooks"."events") > 0)
);
--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "impersonate" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "labels" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_grants" ADD CONSTRAINT "cluster_grants_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_health_events" ADD CONSTRAINT "cluster_health_events_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_credential_alerts" ADD CONSTRAINT "webhook_credential_alerts_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "access_tokens_jti_uq" ON "access_tokens" USING btree ("jti");--> statement-breakpoint
CREATE INDEX "access_tokens_subject_idx" ON "access_tokens" USING btree ("subject","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_events_cluster_idx" ON "audit_events" USING btree ("cluster_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","id");--> statement-breakpoint
CREATE UNIQUE INDEX "cluster_grants_subject_uq" ON "cluster_grants" USING btree ("cluster_id","subject_kind","subject");--> statement-breakpoint
CREATE INDEX "cluster_grants_subject_idx" ON "cluster_grants" USING btree ("subject_kind","subject");--> statement-breakpoint
CREATE INDEX "cluster_health_events_cluster_at_idx" ON "cluster_health_events" USING btree ("cluster_id","at","id");--> statement-breakpoint
CREATE INDEX "cluster_health_events_at_idx" ON "cluster_health_events" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_dedupe_uq" ON "webhook_deliveries" USING btree ("webhook_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" IN ('pending', 'delivering');--> statement-breakpoint
CREATE INDEX "webhook_deliveries_log_idx" ON "webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "clusters_live_labels_gin" ON "clusters" USING gin ("labels") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_name_order_idx" ON "clusters" USING btree (lower("name"),"id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_created_order_idx" ON "clusters" USING btree ("created_at","id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_updated_order_idx" ON "clusters" USING btree ("updated_at","id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_health_order_idx" ON "clusters" USING btree ("health_status","id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
ALTER TABLE "clusters" ADD CONSTRAINT "clusters_labels_object_ck" CHECK (jsonb_typeof("clusters"."labels") = 'object');--> statement-breakpoint
-- Default cluster rule (issue 14): a registry that has live clusters but no default gets its oldest one as the default.
UPDATE "clusters" SET "is_default" = true WHERE "id" = (SELECT "id" FROM "clusters" WHERE "deleted_at" IS NULL ORDER BY "created_at", "id" LIMIT 1) AND NOT EXISTS (SELECT 1 FROM "clusters" WHERE "is_default" AND "deleted_at" IS NULL);
