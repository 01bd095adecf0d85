import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';

/** Work done once per interval across replicas (`maintenance_runs`): pruning, the start-up import. */
export class MaintenanceRepository {
  constructor(private readonly db: Db) {}

  /**
   * Claims a periodic task for this replica when its last run is at least `intervalSeconds` old: one conditional upsert,
   * so of N replicas asking at once exactly one gets the row back.
   */
  async claimPeriodic(task: string, owner: string, intervalSeconds: number): Promise<boolean> {
    const result = await this.db.execute(sql`
      INSERT INTO maintenance_runs (task, last_run_at, owner) VALUES (${task}, now(), ${owner})
      ON CONFLICT (task) DO UPDATE SET last_run_at = now(), owner = EXCLUDED.owner
        WHERE maintenance_runs.last_run_at <= now() - make_interval(secs => ${intervalSeconds})
      RETURNING task`);
    return rowsOf(result).length === 1;
  }
}
