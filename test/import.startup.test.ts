import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { StartupError } from '../src/startup-checks.js';
import { testDrivers } from './support/databases.js';
import { startTestGateway, TEST_JWT_SECRET } from './support/gateway.js';
import { refusedServerUrl } from './support/kubeconfigs.js';
import { fleetKubeconfig } from './support/fleet-kubeconfig.js';
import { sharedSimulator } from './support/reachable.js';

/** IMPORT_KUBECONFIG: the file's contexts become clusters at start when none exist; a bad file stops the start. */
const dir = mkdtempSync(join(tmpdir(), 'kgw-import-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(testDrivers())('IMPORT_KUBECONFIG on %s', (driver) => {
  it('imports every context when no cluster exists, makes current-context the default and logs one line per context', async () => {
    const sim = await sharedSimulator();
    const { yaml, contexts } = fleetKubeconfig(
      sim,
      [
        { name: 'alpha', kind: 'good' },
        { name: 'beta', kind: 'good' },
        { name: 'gamma', kind: 'exec' },
      ],
      {
        unreachableServer: await refusedServerUrl(),
        currentContext: 'beta',
      },
    );
    const file = join(dir, `${driver}.yaml`);
    writeFileSync(file, yaml, { mode: 0o600 });
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const t = await startTestGateway(driver, { IMPORT_KUBECONFIG: file }, { healthMonitor: false, logger });
    try {
      const list = await t.rest('GET', '/api/v1/k8s/clusters');
      expect(list.body.data.clusters.map((c: { name: string; is_default: boolean }) => [c.name, c.is_default]).sort()).toEqual([
        ['alpha', false],
        ['beta', true],
      ]);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith('IMPORT_KUBECONFIG'));
      expect(logged.filter((l) => l.msg === 'IMPORT_KUBECONFIG: context').map((l) => [l.context, l.outcome])).toEqual([
        ['alpha', 'created'],
        ['beta', 'created'],
        ['gamma', 'skipped'],
      ]);
      expect(logged.at(-1)).toMatchObject({ msg: 'IMPORT_KUBECONFIG: import finished', created: 2, skipped: 1, failed: 0 });
      // Credentials never reach the log.
      for (const c of contexts) if (c.handle) expect(lines.join('\n')).not.toContain(c.handle.token);
    } finally {
      await t.close();
    }
  });
});

describe('IMPORT_KUBECONFIG that cannot be used', () => {
  const config = (file: string) =>
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      IMPORT_KUBECONFIG: file,
    });

  it('an unreadable file stops the start with an error naming the variable and the file', async () => {
    const missing = join(dir, 'missing.yaml');
    await expect(startGateway(config(missing))).rejects.toThrow(StartupError);
    await expect(startGateway(config(missing))).rejects.toThrow(`IMPORT_KUBECONFIG: cannot read ${missing} (ENOENT)`);
  });

  it('a file that is not a kubeconfig stops the start too', async () => {
    const file = join(dir, 'not-a-kubeconfig.yaml');
    writeFileSync(file, 'just: text\n');
    await expect(startGateway(config(file))).rejects.toThrow(
      /^IMPORT_KUBECONFIG: .* is not a usable kubeconfig: kubeconfig\.contexts: must list at least one context/,
    );
  });
});
