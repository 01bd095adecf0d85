/**
 * Offline checks of the deployment files: deploy/kubernetes (kustomize base), Dockerfile, .dockerignore.
 *
 * Why `kubectl kustomize` and not `kubectl apply --dry-run=client`: kubectl v1.32 still asks a server for discovery
 * (and for the OpenAPI schema unless --validate=false) in client-side dry runs. Without a server it fails with
 * "connection refused"; against the Kubernetes API simulator it fails with "no matches for kind Deployment in
 * version apps/v1", because the simulator only serves what the gateway reads (namespaces, nodes, pods, services,
 * prometheuses). `kubectl kustomize` runs fully offline (it parses every file, resolves the kustomization, applies
 * the namespace, labels and image transformers), and the assertions below check the rendered objects.
 *
 * Nothing here builds the image or starts the demo (scripts/demo.ts runs until Ctrl+C).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../src/config.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const K8S_DIR = join(ROOT, 'deploy/kubernetes');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// Overridable only to exercise the missing-kubectl path; the real location is /usr/bin/kubectl.
const KUBECTL = process.env.DEPLOY_TEST_KUBECTL ?? '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);
const requireAll = process.env.REQUIRE_ALL_BACKENDS === '1';
if (!hasKubectl && !requireAll) console.warn(`deploy: ${KUBECTL} not found, skipping the kubectl kustomize checks`);

/** Only the fields these checks read; everything else passes through untyped. */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No kubeconfig: nothing here may reach a cluster.
    execFile(KUBECTL, args, { cwd: ROOT, timeout: 30_000, env: { ...process.env, KUBECONFIG: '/dev/null' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function parseDocuments(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

describe('deploy/kubernetes files', () => {
  const files = readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f));
  const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as { namespace: string; resources: string[] };

  it('the kustomization lists every manifest in the folder, and every file parses', () => {
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
    for (const f of kustomization.resources) expect(parseDocuments(readFileSync(join(K8S_DIR, f), 'utf8'), f).length).toBeGreaterThan(0);
  });

  it('every object also names its namespace itself, so the files work without kustomize too', () => {
    for (const f of kustomization.resources) {
      for (const o of parseDocuments(readFileSync(join(K8S_DIR, f), 'utf8'), f)) {
        if (o.kind === 'Namespace') expect(o.metadata.name).toBe(kustomization.namespace);
        else expect(o.metadata.namespace, `${f}: ${o.kind}/${o.metadata.name}`).toBe(kustomization.namespace);
      }
    }
  });
});

describe.skipIf(!hasKubectl && !requireAll)('kubectl kustomize deploy/kubernetes', () => {
  let objects: K8sObject[] = [];
  const one = (kind: string): K8sObject => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found, `exactly one ${kind}`).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    if (!hasKubectl) throw new Error(`REQUIRE_ALL_BACKENDS=1 but ${KUBECTL} is missing`);
    const out = await kubectl(['kustomize', 'deploy/kubernetes']);
    if (out.code !== 0) throw new Error(`kubectl kustomize failed (${out.code}): ${out.stderr}`);
    objects = parseDocuments(out.stdout, 'kubectl kustomize');
  });

  it('renders exactly the expected objects, and no database (PostgreSQL is external)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount'].map((k) => `${k}/kube-gateway`),
    );
    expect(objects.some((o) => ['StatefulSet', 'PersistentVolumeClaim'].includes(o.kind))).toBe(false);
  });

  it('Deployment: replicas ≥ 2, probes on /healthz and /readyz, resources, non-root, read-only root', () => {
    const d = one('Deployment');
    const pod = d.spec.template.spec;
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    expect(pod.containers.length).toBeGreaterThan(0);
    for (const c of pod.containers) {
      const ports = new Map<string | number, number>(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
      const portOf = (p: string | number) => (typeof p === 'number' ? p : ports.get(p));
      expect(c.livenessProbe.httpGet.path, c.name).toBe('/healthz');
      expect(portOf(c.livenessProbe.httpGet.port)).toBe(12306);
      expect(c.readinessProbe.httpGet.path, c.name).toBe('/readyz');
      expect(portOf(c.readinessProbe.httpGet.port)).toBe(12306);
      expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(c.resources.limits.memory).toBeTruthy();

      const sc = { ...pod.securityContext, ...c.securityContext };
      expect(sc.runAsNonRoot, c.name).toBe(true);
      expect(sc.runAsUser ?? 1000).not.toBe(0);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext.capabilities.drop).toContain('ALL');
      expect(sc.seccompProfile?.type).toBe('RuntimeDefault');
      // A read-only root needs a writable /tmp (Node, and DATA_DIR below).
      const tmp = c.volumeMounts?.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect(c.image).toMatch(/^[^\s:]+(:[\w.-]+)?$/);
      expect(c.image).not.toBe('kube-gateway:0.1.0'); // the kustomization's images: transformer applied
    }
  });

  it('Deployment: the three keys come from the Secret, by name, and the Secret has them', () => {
    const d = one('Deployment');
    const secret = one('Secret');
    const config = one('ConfigMap');
    for (const c of d.spec.template.spec.containers) {
      for (const key of ['DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY']) {
        const ref = c.env?.find((e: { name: string }) => e.name === key)?.valueFrom?.secretKeyRef;
        expect(ref, `${c.name}: ${key} from the Secret`).toMatchObject({ name: secret.metadata.name, key });
        expect(ref.optional ?? false).toBe(false);
        expect(Object.keys(secret.stringData ?? secret.data)).toContain(key);
      }
      expect(c.envFrom.map((e: { configMapRef?: { name: string } }) => e.configMapRef?.name)).toContain(config.metadata.name);
    }
  });

  it('Deployment: shutdown fits the grace period; spread across nodes; no service-account token', () => {
    const pod = one('Deployment').spec.template.spec;
    const preStopSleep = Number(
      pod.containers[0].lifecycle?.preStop?.exec?.command?.[1] ?? pod.containers[0].lifecycle?.preStop?.sleep?.seconds ?? 0,
    );
    // src/main.ts forces an exit after 15 s; the kubelet must not SIGKILL before that.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(15 + preStopSleep);
    const byHost = [
      ...(pod.topologySpreadConstraints ?? []).map((t: { topologyKey: string }) => t.topologyKey),
      ...(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any) => t.podAffinityTerm.topologyKey),
      ...(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any) => t.topologyKey),
    ];
    expect(byHost).toContain('kubernetes.io/hostname');
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("Service and PodDisruptionBudget select the Deployment's pods; the PDB leaves most replicas up", () => {
    const d = one('Deployment');
    const labels = d.spec.template.metadata.labels;
    const svc = one('Service');
    const pdb = one('PodDisruptionBudget');
    expect(labels).toMatchObject(svc.spec.selector);
    expect(labels).toMatchObject(pdb.spec.selector.matchLabels);
    const containerPorts = d.spec.template.spec.containers.flatMap((c: { ports: { name: string }[] }) => c.ports.map((p) => p.name));
    for (const p of svc.spec.ports) expect(containerPorts).toContain(p.targetPort);
    if (pdb.spec.maxUnavailable !== undefined) expect(pdb.spec.maxUnavailable).toBeLessThan(d.spec.replicas);
    else expect(pdb.spec.minAvailable).toBeLessThan(d.spec.replicas);
  });

  it('ConfigMap: only variables the gateway reads, nothing secret, and valid for src/config.ts', () => {
    const data = one('ConfigMap').data as Record<string, string>;
    const configSource = read('src/config.ts');
    for (const key of Object.keys(data)) {
      if (key === 'NODE_OPTIONS') continue; // read by Node itself
      expect(configSource, `${key} is not a variable of src/config.ts`).toMatch(new RegExp(`\\b${key}\\b`));
    }
    for (const key of Object.keys(data)) expect(key).not.toMatch(/SECRET|KEY|PASSWORD|DATABASE_URL|TOKEN/);

    const config = loadConfig({
      ...data,
      DATABASE_URL: 'postgres://kube_gateway:pw@postgres.example:5432/kube_gateway',
      JWT_SECRET: randomBytes(48).toString('base64'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    expect(config.port).toBe(12306);
    expect(config.host).toBe('0.0.0.0');
    expect(config.database.kind).toBe('postgres');
    expect(config.dataDir.startsWith('/tmp/')).toBe(true); // the only writable place
  });

  it('Secret: the placeholders are refused by the gateway, so an unedited Secret fails closed', () => {
    const secret = one('Secret');
    const values = (secret.stringData ?? {}) as Record<string, string>;
    const error = (() => {
      try {
        loadConfig({ ...one('ConfigMap').data, ...values });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY']) expect(problems).toContain(key);
  });

  it('Namespace enforces the restricted Pod Security Standard', () => {
    expect(one('Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  // Continuation lines joined; comments dropped (a `#` line inside a continuation is a comment too).
  const instructions = dockerfile
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push([]);
    stages.at(-1)?.push(line);
  }
  const runtime = stages.at(-1) ?? [];
  const args = Object.fromEntries(instructions.filter((l) => /^ARG\s/.test(l)).map((l) => l.slice(4).split('=') as [string, string]));
  const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');

  it('is a multi-stage build whose runtime stage is node 24 (bookworm-slim or alpine)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]![0]).toMatch(/^FROM\s+\S+\s+AS\s+build$/i);
    expect(expand(runtime[0]!)).toMatch(/^FROM\s+node:24(\.\d+)*-(bookworm-slim|alpine)(\s+AS\s+\w+)?$/i);
  });

  it('builds with dev dependencies, then installs production dependencies only (--omit=dev) at runtime', () => {
    expect(stages[0]!.join('\n')).toMatch(/npm ci\b/);
    expect(stages[0]!.join('\n')).toMatch(/npm run build/);
    const runtimeRuns = runtime.filter((l) => /^RUN\s/.test(l)).join('\n');
    expect(runtimeRuns).toMatch(/npm ci\b[^\n]*--omit=dev/);
    expect(runtime.some((l) => /^COPY\s+--from=build\s+\S*dist\S*\s+\S*dist/.test(l))).toBe(true);
  });

  it('puts the migrations where the compiled db/client.js looks for them (dist/db/migrations)', () => {
    expect(read('src/db/client.ts')).toContain("new URL('./migrations', import.meta.url)");
    expect(existsSync(join(ROOT, 'src/db/migrations/meta/_journal.json'))).toBe(true);
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' }); // so src/db → dist/db
    const all = instructions.join('\n');
    // Either the generic "copy every non-TypeScript file of src/ into dist/" step, or an explicit copy.
    expect(all).toMatch(/find \. -type f ! -name '\*\.ts' -exec cp --parents \{\} \.\.\/dist\/|src\/db\/migrations\S*\s+\S*dist\/db\/migrations/);
    expect(all).toContain('test -f dist/db/migrations/meta/_journal.json');
  });

  it('runs as a non-root user, exposes 12306, checks /healthz and starts node dist/main.js with the flags of start:prod', () => {
    const users = runtime.filter((l) => /^USER\s/.test(l)).map((l) => l.split(/\s+/)[1]!);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users.at(-1));
    expect(runtime).toContain('EXPOSE 12306');
    expect(runtime.find((l) => /^HEALTHCHECK\s/.test(l))).toMatch(/\/healthz/);
    expect(runtime.at(-1)).toBe('CMD ["node", "--max-semi-space-size=16", "dist/main.js"]');
    // One deployment, two ways to start it: the image and `npm run start:prod` pass node the same flags.
    const startProd = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start:prod'];
    expect(startProd).toBe('sh scripts/node24.sh node --max-semi-space-size=16 dist/main.js');
    expect(existsSync(join(ROOT, 'src/main.ts'))).toBe(true);
  });

  it('copies only files that exist and that .dockerignore lets through; the context leaves out secrets and bulk', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['node_modules', '.git', 'dist', 'data', '.env']) expect(ignored).toContain(must);
    const sources = instructions
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) =>
        l
          .split(/\s+/)
          .slice(1, -1)
          .filter((a) => !a.startsWith('--')),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), `${src} exists`).toBe(true);
      expect(ignored, `${src} is not excluded from the build context`).not.toContain(src.replace(/\/$/, ''));
    }
  });

  it('the build stage has every file that `npm run build` uses (tsconfig, helper scripts)', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const build = [pkg.scripts.prebuild, pkg.scripts.build, pkg.scripts.postbuild].filter(Boolean).join(' ');
    const used = build.split(/[\s&|;]+/).filter((t) => /\.(m?js|cjs|ts|json)$/.test(t));
    const copied = stages[0]!
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) =>
        l
          .split(/\s+/)
          .slice(1, -1)
          .filter((a) => !a.startsWith('--')),
      )
      .map((s) => s.replace(/\/$/, ''));
    for (const file of used)
      expect(
        copied.some((c) => file === c || file.startsWith(`${c}/`)),
        `${file} is copied into the build stage`,
      ).toBe(true);
  });
});

describe('npm run demo', () => {
  it('is wired to scripts/demo.ts (not started here: it runs until Ctrl+C)', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBe('sh scripts/node24.sh tsx scripts/demo.ts');
    expect(existsSync(join(ROOT, 'scripts/demo.ts'))).toBe(true);
  });
});
