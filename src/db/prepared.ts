import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';

const dialect = new PgDialect();
/** Statement texts prepared so far; past the cap a new text runs unprepared (each prepared text is kept per connection). */
const preparedTexts = new Set<string>();
const MAX_PREPARED_TEXTS = 256;

/**
 * `db.execute` for a hot raw statement, as a prepared statement: postgres.js parses and plans it once per connection
 * (what drizzle's `.prepare(name)` does for builder queries), where `db.execute` has PostgreSQL parse and plan every
 * call (planning a filtered page took longer than running it). Texts differ only by the statement's shape (values are
 * parameters); the number kept is capped so no client can grow the per-connection statement caches without bound.
 * PGlite runs it as `db.execute` does. Returns the driver's rows (read with `rowsOf`); `db` may be a transaction.
 */
export function executePrepared(db: Pick<Db, '_'>, statement: SQL): Promise<unknown> {
  const query = dialect.sqlToQuery(statement);
  let prepare = preparedTexts.has(query.sql);
  if (!prepare && preparedTexts.size < MAX_PREPARED_TEXTS) {
    preparedTexts.add(query.sql);
    prepare = true;
  }
  return db._.session.prepareQuery(query, undefined, prepare ? 'hot' : undefined, false).execute();
}
