// The benchmarks: scripts/bench.sh [onboarding|setpass|poller|parked|list ...] [--quick]
// Each prints a table with its reference measured in the same run; all are written as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchList } from './list';
import { benchOnboarding } from './onboarding';
import { benchParked } from './parked';
import { benchPoller } from './poller';
import { benchSetpass } from './setpass';
import { formatTable, type Table } from './table';
import type { Progress } from './machine';

type Bench = (options: { quick: boolean; progress: Progress }) => Promise<Table | Table[]>;

const benches: Record<string, Bench> = {
  onboarding: benchOnboarding,
  setpass: benchSetpass,
  poller: benchPoller,
  parked: benchParked,
  list: benchList,
};

async function main(): Promise<void> {
  // The in-process workers' INFO lines would bury the progress lines and tables.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(benches).join(', ')}`,
    );
  }
  const chosen = names.length > 0 ? names : Object.keys(benches);
  for (const name of chosen) {
    const started = Date.now();
    const progress = (message: string) =>
      console.log(`[${name} +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);
    const result = await benches[name]!({ quick, progress });
    const tables = Array.isArray(result) ? result : [result];
    for (const table of tables) console.log('\n' + formatTable(table));
    // One file per benchmark: running one alone keeps the others' latest results.
    const dir = join('bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}${quick ? '-quick' : ''}.json`);
    writeFileSync(
      file,
      JSON.stringify({ date: new Date().toISOString(), quick, tables }, null, 2) + '\n',
    );
    console.log(`written to ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
