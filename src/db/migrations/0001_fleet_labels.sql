ALTER TABLE "clusters" ADD COLUMN "labels" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_labels_gin" ON "clusters" USING gin ("labels") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_name_order_idx" ON "clusters" USING btree (lower("name"),"id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_created_order_idx" ON "clusters" USING btree ("created_at","id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_updated_order_idx" ON "clusters" USING btree ("updated_at","id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "clusters_live_health_order_idx" ON "clusters" USING btree ("health_status","id") WHERE "clusters"."deleted_at" IS NULL;--> statement-breakpoint
ALTER TABLE "clusters" ADD CONSTRAINT "clusters_labels_object_ck" CHECK (jsonb_typeof("clusters"."labels") = 'object');--> statement-breakpoint
-- Default cluster rule (issue 14): a registry that has live clusters but no default gets its oldest one as the default.
UPDATE "clusters" SET "is_default" = true WHERE "id" = (SELECT "id" FROM "clusters" WHERE "deleted_at" IS NULL ORDER BY "created_at", "id" LIMIT 1) AND NOT EXISTS (SELECT 1 FROM "clusters" WHERE "is_default" AND "deleted_at" IS NULL);
