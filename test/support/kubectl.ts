import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's kubectl (v1.32); suites skip without it unless REQUIRE_ALL_BACKENDS=1 (then they fail). */
export const KUBECTL = '/usr/bin/kubectl';
export const hasKubectl = existsSync(KUBECTL);

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with `kubeconfig` (a file) and a private HOME/cache; never rejects on a non-zero exit. */
export function kubectl(dir: string, kubeconfig: string, args: string[], timeoutMs = 20_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
      { timeout: timeoutMs, env: { ...process.env, HOME: dir, KUBECONFIG: '' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Starts a long-running kubectl (watch, logs -f) and resolves once its stdout matches `until`, then kills it. Rejects
 * with what it printed if it exits or `timeoutMs` passes first.
 */
export function kubectlUntil(
  dir: string,
  kubeconfig: string,
  args: string[],
  until: RegExp,
  onOutput?: (stdout: string) => void,
  timeoutMs = 20_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {
      env: { ...process.env, HOME: dir, KUBECONFIG: '' },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} did not print ${until} within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onOutput?.(stdout);
      if (until.test(stdout)) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(stdout);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!until.test(stdout))
        reject(new Error(`kubectl ${args.join(' ')} exited (${code}) before printing ${until}; stdout: ${stdout} stderr: ${stderr}`));
    });
  });
}
