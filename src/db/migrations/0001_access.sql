CREATE TYPE "public"."cluster_role" AS ENUM('viewer', 'editor', 'admin');--> statement-breakpoint
CREATE TYPE "public"."subject_kind" AS ENUM('user', 'group');--> statement-breakpoint
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
ALTER TABLE "clusters" ADD COLUMN "impersonate" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "cluster_grants" ADD CONSTRAINT "cluster_grants_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cluster_grants_subject_uq" ON "cluster_grants" USING btree ("cluster_id","subject_kind","subject");--> statement-breakpoint
CREATE INDEX "cluster_grants_subject_idx" ON "cluster_grants" USING btree ("subject_kind","subject");