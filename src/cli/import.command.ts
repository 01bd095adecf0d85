import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/** Where the command writes and what it reads from the environment (the process's own, unless a test gives others). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE = `usage: kube-gateway import <kubeconfig-file> [--dry-run] [--context NAME]... [--label key=value]...
                           [--name-prefix PREFIX] [--update-existing] [--set-default]

Imports the contexts of a kubeconfig into a running gateway (POST /api/v1/k8s/clusters/import).
  --dry-run          print the plan (what would happen to each context, whether its server answers); change nothing
  --context NAME     import only this context (repeatable)
  --label key=value  give every created cluster this label (repeatable)
  --name-prefix P    cluster name = P + context name
  --update-existing  replace the credentials of existing clusters with the same name and server
  --set-default      make the cluster of current-context the default

Environment: KUBE_GATEWAY_URL (default http://localhost:12306), KUBE_GATEWAY_TOKEN (an admin bearer token).
Exit status: 0 when no context failed, 1 when any context failed (or the gateway refused the request), 2 on usage errors.
`;

interface Row {
  [column: string]: string;
}

/** A plain-text table: one header line, one line per row, columns padded to their widest cell. */
export function formatTable(columns: string[], rows: Row[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

type PlanItem = {
  context: string;
  name: string;
  server: string | null;
  action: string;
  reason: string | null;
  reachable: boolean | null;
  kubernetes_version: string | null;
};
type ResultItem = { context: string; name: string; outcome: string; cluster_id: number | null; message: string | null };

/**
 * `kube-gateway import`: a thin REST client. It reads the file locally and sends it base64-encoded; the gateway applies
 * its own rules (inline credentials only, per context), so nothing in the file runs or is read here beyond the file.
 */
export const importCommand = {
  name: 'import',
  summary: 'import the contexts of a kubeconfig into a running gateway (plan with --dry-run)',
  async run(
    argv: string[],
    io: CliIo = { env: process.env, stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
  ): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          'dry-run': { type: 'boolean' },
          context: { type: 'string', multiple: true },
          label: { type: 'string', multiple: true },
          'name-prefix': { type: 'string' },
          'update-existing': { type: 'boolean' },
          'set-default': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      io.stderr(`${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length !== 1) {
      io.stderr(`expected exactly one kubeconfig file\n\n${USAGE}`);
      return 2;
    }
    const labels: Record<string, string> = {};
    for (const label of values.label ?? []) {
      const eq = label.indexOf('=');
      if (eq <= 0) {
        io.stderr(`--label ${label}: expected key=value\n`);
        return 2;
      }
      labels[label.slice(0, eq)] = label.slice(eq + 1);
    }
    let file: Buffer;
    try {
      file = await readFile(positionals[0]!);
    } catch (err) {
      io.stderr(`cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return 2;
    }
    const base = (io.env.KUBE_GATEWAY_URL || 'http://localhost:12306').replace(/\/+$/, '');
    const token = io.env.KUBE_GATEWAY_TOKEN;
    const dryRun = values['dry-run'] === true;
    const body = {
      kubeconfig: file.toString('base64'),
      dry_run: dryRun,
      ...(values.context ? { contexts: values.context } : {}),
      ...(values.label ? { labels } : {}),
      ...(values['name-prefix'] !== undefined ? { name_prefix: values['name-prefix'] } : {}),
      ...(values['update-existing'] ? { update_existing: true } : {}),
      ...(values['set-default'] ? { set_default_from_current_context: true } : {}),
    };
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1/k8s/clusters/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10 * 60_000),
      });
    } catch (err) {
      io.stderr(`cannot reach the gateway at ${base}: ${(err as Error).cause ?? (err as Error).message}\n`);
      return 1;
    }
    const answer = (await res.json().catch(() => null)) as {
      message?: string;
      data?: { items?: unknown[]; summary?: Record<string, number> };
    } | null;
    if (!res.ok || !answer?.data?.items) {
      io.stderr(`the gateway refused the import (HTTP ${res.status}): ${answer?.message ?? 'no message'}\n`);
      return 1;
    }
    if (dryRun) {
      const items = answer.data.items as PlanItem[];
      io.stdout(
        formatTable(
          ['context', 'name', 'action', 'reachable', 'version', 'server', 'reason'],
          items.map((i) => ({
            context: i.context,
            name: i.name,
            action: i.action.toUpperCase(),
            reachable: i.reachable === null ? '-' : i.reachable ? 'yes' : 'no',
            version: i.kubernetes_version ?? '-',
            server: i.server ?? '-',
            reason: i.reason ?? '',
          })),
        ),
      );
      return 0;
    }
    const items = answer.data.items as ResultItem[];
    io.stdout(
      formatTable(
        ['context', 'name', 'outcome', 'cluster', 'message'],
        items.map((i) => ({
          context: i.context,
          name: i.name,
          outcome: i.outcome.toUpperCase(),
          cluster: i.cluster_id === null ? '-' : String(i.cluster_id),
          message: i.message ?? '',
        })),
      ),
    );
    const summary = answer.data.summary ?? {};
    io.stdout(
      `\n${Object.entries(summary)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
    return items.some((i) => i.outcome === 'failed') ? 1 : 0;
  },
};
