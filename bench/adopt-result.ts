/**
 * Records one scenario's result that was produced outside `bench/run.ts` (a long mode driven by its own script, e.g.
 * `runSoak` on a branch before it was merged) into bench/results.json with its true provenance, then re-renders
 * BENCHMARKS.md. Nothing about the figures is changed; the provenance row says where they came from.
 *
 *   npx tsx bench/adopt-result.ts --scenario soak --file soak.json --commit 24ccd65 --started 2026-11-30T13:05:42Z \
 *     --elapsed 1850 --load-before 11.4,12,11 --load-after 16,14,12 --command "runSoak({ minutes: 30 })"
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flags, ROOT } from './lib.js';
import { renderMarkdown } from './report.js';
import { loadSaved, mergeResults, SCENARIO_KEYS, type ScenarioKey } from './results-store.js';

const args = flags();
const need = (name: string) => {
  const v = args.get(name);
  if (!v) throw new Error(`--${name} is required`);
  return v;
};
const scenario = need('scenario') as ScenarioKey;
if (!SCENARIO_KEYS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIO_KEYS.join(', ')}`);
const resultsFile = join(ROOT, 'bench/results.json');
const saved = loadSaved(resultsFile);
if (!saved) throw new Error('bench/results.json is missing: run npm run bench first');
const numbers = (s: string) => s.split(',').map(Number);
const merged = mergeResults(saved, saved);
(merged as unknown as Record<string, unknown>)[scenario] = JSON.parse(readFileSync(need('file'), 'utf8'));
merged.provenance = {
  ...merged.provenance,
  [scenario]: {
    startedAt: new Date(need('started')).toISOString(),
    command: need('command'),
    commit: need('commit'),
    dirty: false,
    quick: false,
    loadAverage: { before: numbers(need('load-before')), after: numbers(need('load-after')) },
    elapsedSec: Number(need('elapsed')),
  },
};
writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(merged));
process.stderr.write(`adopted ${scenario} from ${need('file')} (commit ${need('commit')})\n`);
