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
CREATE TABLE "periodic_job_claims" (
	"job" text PRIMARY KEY NOT NULL,
	"claimed_by" text NOT NULL,
	"claimed_until" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_events_cluster_idx" ON "audit_events" USING btree ("cluster_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","id");