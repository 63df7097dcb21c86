// The reliability and security suite: faults on the real local services and hostile input.
// Run: npm run reliability [-- --long] [scenario names...]   (needs scripts/services.sh start)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable } from '../../bench/table';
import { apiScenarios } from './api-scenarios';
import { faultScenarios } from './fault-scenarios';
import { inputScenarios } from './input-scenarios';
import type { Mode, Scenario, ScenarioResult } from './scenario';

const scenarios: Scenario[] = [...faultScenarios, ...apiScenarios, ...inputScenarios];

function showFigures(figures: ScenarioResult['figures']): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v}`)
    .join(', ');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mode: Mode = args.includes('--long') ? 'long' : 'short';
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')}: choose from ${scenarios.map((s) => s.name).join(', ')}`,
    );
  }
  const chosen = names.length ? scenarios.filter((s) => names.includes(s.name)) : scenarios;
  const results: { name: string; result: ScenarioResult; seconds: number }[] = [];
  for (const scenario of chosen) {
    const started = Date.now();
    const progress = (message: string) =>
      console.log(`[${scenario.name} +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);
    progress(`start (${mode})`);
    let result: ScenarioResult;
    try {
      result = await scenario.run(mode, progress);
    } catch (err) {
      result = { runs: 1, passed: 0, figures: {}, failures: [(err as Error).stack ?? String(err)] };
    }
    const seconds = (Date.now() - started) / 1000;
    progress(`${result.passed}/${result.runs} passed in ${seconds.toFixed(0)} s`);
    results.push({ name: scenario.name, result, seconds });
  }
  const failed = results.filter((r) => r.result.passed < r.result.runs);
  console.log(
    '\n' +
      formatTable({
        title: `Reliability and security (${mode} form, ${new Date().toISOString().slice(0, 10)})`,
        columns: ['scenario', 'runs', 'passed', 'seconds', 'figures'],
        rows: results.map(({ name, result, seconds }) => [
          name,
          result.runs,
          result.passed,
          Math.round(seconds),
          showFigures(result.figures),
        ]),
        notes: failed.flatMap((r) => (r.result.failures ?? []).map((f) => `${r.name}: ${f}`)),
      }),
  );
  const dir = join('.state', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${mode}.json`), JSON.stringify({ mode, results }, null, 2));
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
