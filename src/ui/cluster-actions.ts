import { ApiError } from './api.js';
import type { AppContext } from './app-context.js';
import { h, mount } from './dom.js';
import type { ClusterRow, Label } from './queries.js';
import { ISSUE_KUBECONFIG, REDISCOVER, TEST_CONNECTION, UPDATE_LABELS } from './queries.js';

const describe = (err: unknown) => (err instanceof ApiError ? String(err) : `Unexpected failure: ${String(err)}`);

/** "key=value" lines → labels; a line without "=" is reported with its number. */
function parseLabels(text: string): Label[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new ApiError(`line ${i + 1} is not key=value`, 'BAD_USER_INPUT');
      return { key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() };
    });
}

/**
 * The cluster's actions, for the roles the gateway grants them (the gateway checks again; this only hides buttons a
 * role cannot use): any role may test the connection, start a Prometheus discovery and take a kubeconfig of its own;
 * cluster admins may edit labels. Every outcome is written out, failures with their GraphQL error code.
 */
export function clusterActions(app: AppContext, cluster: ClusterRow, onLabels: (labels: Label[]) => void): HTMLElement {
  const out = h('div', { id: 'action-result', role: 'status', 'aria-live': 'polite' });
  const show = (text: string, ok: boolean) => mount(out, h('p', { class: ok ? 'ok' : 'error' }, text));
  const run = (button: HTMLButtonElement, work: () => Promise<string>) => async () => {
    button.disabled = true;
    try {
      show(await work(), true);
    } catch (err) {
      show(describe(err), false);
    } finally {
      button.disabled = false;
    }
  };

  const test = h('button', { type: 'button', id: 'action-test' }, 'Test connection');
  test.addEventListener(
    'click',
    run(test, async () => {
      const { testClusterConnection: r } = await app.api.request<{
        testClusterConnection: { connected: boolean; kubernetesVersion: string | null; nodeCount: number | null; message: string | null };
      }>(TEST_CONNECTION, { id: cluster.id });
      return r.connected
        ? `Connected: Kubernetes ${r.kubernetesVersion ?? '?'}, ${r.nodeCount ?? '?'} nodes.`
        : `Not connected: ${r.message ?? 'no reason given'}`;
    }),
  );
  const rediscover = h('button', { type: 'button', id: 'action-rediscover' }, 'Rediscover Prometheus');
  rediscover.addEventListener(
    'click',
    run(rediscover, async () => {
      const { rediscoverPrometheus: r } = await app.api.request<{ rediscoverPrometheus: { state: string; message: string | null } }>(REDISCOVER, {
        id: cluster.id,
      });
      return `Discovery ${r.state.toLowerCase()}${r.message ? `: ${r.message}` : ''}. Progress shows under Prometheus discovery.`;
    }),
  );
  const kubeconfig = h('button', { type: 'button', id: 'action-kubeconfig' }, 'Download kubeconfig');
  kubeconfig.addEventListener(
    'click',
    run(kubeconfig, async () => {
      const { issueClusterKubeconfig: r } = await app.api.request<{ issueClusterKubeconfig: { kubeconfig: string; expiresAt: string } }>(
        ISSUE_KUBECONFIG,
        { id: cluster.id },
      );
      const url = URL.createObjectURL(new Blob([r.kubeconfig], { type: 'application/yaml' }));
      const a = h('a', { href: url, download: `${cluster.name}.kubeconfig.yaml`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return `Kubeconfig downloaded; its token expires ${new Date(r.expiresAt).toLocaleString()}.`;
    }),
  );

  const parts: HTMLElement[] = [h('div', { class: 'buttons' }, test, rediscover, kubeconfig)];
  if (cluster.myRole === 'ADMIN') {
    const area = h(
      'textarea',
      { id: 'labels-editor', name: 'labels', rows: 4, cols: 40, spellcheck: 'false' },
      cluster.labels.map((l) => `${l.key}=${l.value}`).join('\n'),
    );
    const save = h('button', { type: 'submit', id: 'action-labels' }, 'Save labels');
    const form = h(
      'form',
      { class: 'labels-form', 'aria-label': 'Edit labels' },
      h('label', { for: 'labels-editor' }, 'Labels, one key=value per line'),
      area,
      save,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void run(save, async () => {
        const { updateCluster } = await app.api.request<{ updateCluster: { labels: Label[] } }>(UPDATE_LABELS, {
          id: cluster.id,
          labels: parseLabels(area.value),
        });
        onLabels(updateCluster.labels);
        return `Labels saved (${updateCluster.labels.length}).`;
      })();
    });
    parts.push(form);
  }
  return h('section', { 'aria-labelledby': 'actions-title', class: 'panel' }, h('h2', { id: 'actions-title' }, 'Actions'), parts, out);
}
