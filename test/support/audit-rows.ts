import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Gateway } from '../../src/gateway.js';
import { queryRows } from './gateway.js';

/** An audit row as stored, read straight from the database (not through the code under test). */
export interface AuditRow {
  id: string | number;
  at: Date | string;
  actor: string;
  action: string;
  cluster_id: number | null;
  cluster_name: string | null;
  target: string | null;
  outcome: number;
  request_id: string | null;
  source_ip: string | null;
}

/** A request id of the test's own, sent as X-Request-Id so each call's audit rows can be found exactly. */
export const freshRequestId = () => `t-${randomUUID()}`;

export function auditRowsOf(gw: Gateway, requestId: string): Promise<AuditRow[]> {
  return queryRows<AuditRow>(gw, sql`SELECT * FROM audit_events WHERE request_id = ${requestId} ORDER BY id`);
}

export function allAuditRows(gw: Gateway): Promise<AuditRow[]> {
  return queryRows<AuditRow>(gw, sql`SELECT * FROM audit_events ORDER BY id`);
}

/** The connection's peer address as Node reports it for a loopback client (IPv4 or IPv4-mapped IPv6). */
export const LOOPBACK = /^(127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/;
