CREATE TYPE "public"."discovery_state" AS ENUM('pending', 'running', 'found', 'not_found', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."health_status" AS ENUM('unknown', 'healthy', 'warning', 'error', 'unavailable');--> statement-breakpoint
CREATE TYPE "public"."prometheus_source" AS ENUM('none', 'auto', 'manual');--> statement-breakpoint
CREATE TABLE "clusters" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "clusters_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" varchar(100) NOT NULL,
	"kubeconfig_ciphertext" text NOT NULL,
	"kubeconfig_key_id" varchar(32) NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"health_status" "health_status" DEFAULT 'unknown' NOT NULL,
	"health_message" text,
	"health_candidate_status" "health_status",
	"health_candidate_count" integer DEFAULT 0 NOT NULL,
	"kubernetes_version" varchar(64),
	"node_count" integer DEFAULT 0 NOT NULL,
	"ready_node_count" integer,
	"pod_count" integer DEFAULT 0 NOT NULL,
	"credential_expires_at" timestamp (3) with time zone,
	"last_connected_at" timestamp (3) with time zone,
	"last_checked_at" timestamp (3) with time zone,
	"health_lease_owner" text,
	"health_lease_until" timestamp (3) with time zone,
	"prometheus_url" text,
	"prometheus_source" "prometheus_source" DEFAULT 'none' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "discovery_tasks" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "discovery_tasks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cluster_id" integer NOT NULL,
	"state" "discovery_state" DEFAULT 'pending' NOT NULL,
	"message" text,
	"candidates_checked" integer DEFAULT 0 NOT NULL,
	"prometheus_url" text,
	"owner" text,
	"lease_until" timestamp (3) with time zone,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "discovery_tasks" ADD CONSTRAINT "discovery_tasks_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "clusters_live_name_uq" ON "clusters" USING btree (lower("name")) WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "clusters_live_default_uq" ON "clusters" USING btree ("is_default") WHERE "clusters"."is_default" AND "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_idx" ON "clusters" USING btree ("id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "discovery_tasks_one_active_uq" ON "discovery_tasks" USING btree ("cluster_id") WHERE "discovery_tasks"."state" IN ('pending', 'running');--> statement-breakpoint
CREATE INDEX "discovery_tasks_cluster_idx" ON "discovery_tasks" USING btree ("cluster_id","id");