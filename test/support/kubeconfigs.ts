import { once } from 'node:events';
import { createServer } from 'node:net';

/** Kubeconfig fixtures that need no live cluster (for parsing and rejection tests). */
export function kubeconfigYaml(
  opts: { server?: string; user?: Record<string, unknown>; cluster?: Record<string, unknown>; extraContexts?: string } = {},
): string {
  const user = opts.user ?? { token: 'sha256~fixture-token' };
  const cluster = { server: opts.server ?? 'https://127.0.0.1:6443', ...opts.cluster };
  const yamlMap = (o: Record<string, unknown>, indent: string) =>
    Object.entries(o)
      .map(([k, v]) => `${indent}${k}: ${typeof v === 'object' ? JSON.stringify(v) : JSON.stringify(v)}`)
      .join('\n');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fixture',
    '  cluster:',
    yamlMap(cluster, '    '),
    'users:',
    '- name: fixture-user',
    '  user:',
    yamlMap(user, '    '),
    'contexts:',
    '- name: fixture-ctx',
    '  context:',
    '    cluster: fixture',
    '    user: fixture-user',
    opts.extraContexts ?? '',
    'current-context: fixture-ctx',
    '',
  ].join('\n');
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** "Billion laughs": 9 levels of 9 aliases each, ~387 million strings once expanded, a few hundred bytes as text. */
export function yamlBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const next = String.fromCharCode(97 + i);
    lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

/**
 * An https server URL on a loopback port nothing listens on, so connecting is refused at once. The port was free a
 * moment ago; borrowing it from the OS beats a fixed number another process might be using.
 */
export async function refusedServerUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return `https://127.0.0.1:${port}`;
}
