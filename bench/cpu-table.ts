// A table of the CPU each process used per unit of work (a request, a poll, an onboarding), one
// row per measured run: what a benchmark costs the machine, part by part.
import type { CpuSnapshot } from './process-cpu';
import type { Table } from './table';

export interface CpuRun {
  name: string;
  /** How many units of work the run did (the CPU is divided by it). */
  units: number;
  cpu: CpuSnapshot;
}

/**
 * Columns in the order of the first run's parts; '—' where a part was not running. `in` is µs for
 * work of well under a millisecond (a request), whose ms would round to nothing.
 */
export function cpuTable(
  title: string,
  unit: string,
  runs: CpuRun[],
  notes: string[] = [],
  { in: scale = 'ms' }: { in?: 'ms' | 'µs' } = {},
): Table {
  const parts = Object.keys(runs[0]?.cpu ?? {});
  const factor = scale === 'ms' ? 1e3 : 1e6;
  const perUnit = (run: CpuRun, part: string) =>
    ((run.cpu[part] ?? Number.NaN) * factor) / run.units;
  return {
    title: `${title}: CPU ${scale} per ${unit}, by process (user + system, with children, from /proc)`,
    columns: ['run', ...parts, 'total'],
    rows: runs.map((run) => [
      run.name,
      ...parts.map((part) => (Number.isNaN(perUnit(run, part)) ? '—' : perUnit(run, part))),
      parts.reduce(
        (sum, part) => sum + (Number.isNaN(perUnit(run, part)) ? 0 : perUnit(run, part)),
        0,
      ),
    ]),
    notes,
  };
}
