/** Kubeconfig fixtures that need no live cluster (for parsing and rejection tests). */
export function kubeconfigYaml(opts: { server?: string; user?: Record<string, unknown>; cluster?: Record<string, unknown>; extraContexts?: string } = {}): string {
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
