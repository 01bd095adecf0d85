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
CREATE TABLE "maintenance_runs" (
	"task" varchar(64) PRIMARY KEY NOT NULL,
	"last_run_at" timestamp (3) with time zone NOT NULL,
	"owner" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cluster_health_events" ADD CONSTRAINT "cluster_health_events_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cluster_health_events_cluster_at_idx" ON "cluster_health_events" USING btree ("cluster_id","at","id");--> statement-breakpoint
CREATE INDEX "cluster_health_events_at_idx" ON "cluster_health_events" USING btree ("at");