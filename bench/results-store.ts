/**
 * bench/results.json accumulates: a run replaces only the scenarios it ran and keeps every other scenario's last
 * figures, each with its own provenance (when, which command and commit, the load average around it). So
 * `npm run bench -- --only paths` or `--soak` updates its sections of BENCHMARKS.md without erasing the rest, and the
 * page says where every figure came from.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Results, Settings } from './run.js';

/** Every scenario's key in Results (and, where it has one, in Settings). */
export const SCENARIO_KEYS = [
  'throughput',
  'paths',
  'proxy',
  'importPlan',
  'fleetFilter',
  'fleetScale',
  'memory',
  'soak',
  'scale',
  'huge',
  'sweep',
  'fanout',
  'startup',
  'profile',
] as const;
export type ScenarioKey = (typeof SCENARIO_KEYS)[number];

export interface Provenance {
  startedAt: string;
  command: string;
  commit: string;
  /** src/ had uncommitted changes when the run started. */
  dirty: boolean;
  quick: boolean;
  loadAverage: { before: number[]; after: number[] };
  /** Wall time of the whole run the scenario was part of. */
  elapsedSec: number;
  /** Node.js version of the run (absent for a result adopted without it). */
  node?: string;
}

type Scenarios = Partial<Record<ScenarioKey, unknown>>;

/** The provenance of each scenario present in `r`; a file written before provenance existed gets its run-level facts. */
export function provenanceOf(r: Results): Partial<Record<ScenarioKey, Provenance>> {
  const out: Partial<Record<ScenarioKey, Provenance>> = { ...r.provenance };
  for (const key of SCENARIO_KEYS) {
    if ((r as Scenarios)[key] === undefined || out[key]) continue;
    out[key] = {
      startedAt: r.startedAt,
      command: r.command,
      commit: r.machine.gitCommit,
      dirty: r.machine.gitDirty,
      quick: r.settings.quick,
      loadAverage: r.loadAverage,
      elapsedSec: r.elapsedSec,
      node: r.machine.node,
    };
  }
  return out;
}

/** Profile summaries are kept per kind: a run that profiled only some paths replaces only those. */
function mergeProfiles(older: Results['profile'], newer: Results['profile']): Results['profile'] {
  if (!newer) return older;
  const kinds = new Set(newer.map((p) => p.kind));
  return [...(older ?? []).filter((p) => !kinds.has(p.kind)), ...newer];
}

/**
 * `fresh` over `saved`: each scenario `fresh` ran replaces the saved one (with its settings and provenance); the
 * machine facts and run-level fields are the fresh run's; failures of scenarios not re-run are kept.
 */
export function mergeResults(saved: Results | undefined, fresh: Results): Results {
  if (!saved) return { ...fresh, provenance: provenanceOf(fresh) };
  const ran = SCENARIO_KEYS.filter((k) => (fresh as Scenarios)[k] !== undefined);
  const merged: Results = { ...saved, ...fresh, provenance: { ...provenanceOf(saved), ...provenanceOf(fresh) } };
  for (const key of SCENARIO_KEYS) if (!ran.includes(key)) (merged as Scenarios)[key] = (saved as Scenarios)[key];
  merged.profile = mergeProfiles(saved.profile, fresh.profile);
  const settings: Record<string, unknown> = { ...saved.settings };
  for (const key of ran) if (key in fresh.settings) settings[key] = fresh.settings[key as keyof Settings];
  merged.settings = { ...(settings as unknown as Settings), quick: fresh.settings.quick };
  // Failures are prefixed with the section's name (`fleet-scale: …`), the scenario's key in kebab case.
  const scenarioOfFailure = (f: string) => (f.split(':')[0] ?? '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  merged.failures = [...saved.failures.filter((f) => !ran.some((k) => scenarioOfFailure(f) === k)), ...fresh.failures];
  return merged;
}

export function loadSaved(file: string): Results | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Results;
  } catch {
    return undefined; // an unreadable file is replaced, not merged
  }
}
