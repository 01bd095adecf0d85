CREATE TYPE "public"."cluster_role" AS ENUM('viewer', 'editor', 'admin');--> statement-breakpoint
CREATE TYPE "public"."subject_kind" AS ENUM('user', 'group');--> statement-breakpoint
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
ALTER TABLE "clusters" ADD COLUMN "impersonate" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "cluster_grants" ADD CONSTRAINT "cluster_grants_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_health_events" ADD CONSTRAINT "cluster_health_events_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_events_cluster_idx" ON "audit_events" USING btree ("cluster_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","id");--> statement-breakpoint
CREATE UNIQUE INDEX "cluster_grants_subject_uq" ON "cluster_grants" USING btree ("cluster_id","subject_kind","subject");--> statement-breakpoint
CREATE INDEX "cluster_grants_subject_idx" ON "cluster_grants" USING btree ("subject_kind","subject");--> statement-breakpoint
CREATE INDEX "cluster_health_events_cluster_at_idx" ON "cluster_health_events" USING btree ("cluster_id","at","id");--> statement-breakpoint
CREATE INDEX "cluster_health_events_at_idx" ON "cluster_health_events" USING btree ("at");