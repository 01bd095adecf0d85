import { sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { rowsOf } from './rows.js';

/**
 * Work done once per interval across all replicas (audit and health-history pruning, the start-up import): a job is
 * claimed in `periodic_job_claims`, never in process memory, so N replicas on one database run it once.
 */
export class PeriodicClaims {
  constructor(private readonly db: Db) {}

  /**
   * Claims `job` for `seconds` unless another replica holds an unexpired claim; true when this caller won. One
   * conditional upsert: of replicas racing for the same job, exactly one sees its row come back.
   */
  async claim(job: string, owner: string, seconds: number): Promise<boolean> {
    const result = await this.db.execute(sql`
      INSERT INTO periodic_job_claims (job, claimed_by, claimed_until)
      VALUES (${job}, ${owner}, now() + make_interval(secs => ${seconds}))
      ON CONFLICT (job) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
        WHERE periodic_job_claims.claimed_until <= now()
      RETURNING job`);
    return rowsOf(result).length === 1;
  }
}
