// What a reliability scenario is: it runs its checks a number of times (short in CI, long on
// demand) and reports figures; a failed check makes the run count as not passed.

export type Mode = 'short' | 'long';

export type Figures = Record<string, string | number>;

export interface ScenarioResult {
  runs: number;
  passed: number;
  figures: Figures;
  /** Why a run did not pass (shown under the table). */
  failures?: string[];
}

export interface Scenario {
  name: string;
  run(mode: Mode, progress: (message: string) => void): Promise<ScenarioResult>;
}

/** Runs `check` n times; each thrown error is one failed run, the figures come from `figures`. */
export async function repeat(
  n: number,
  check: (run: number) => Promise<void>,
  figures: () => Figures,
): Promise<ScenarioResult> {
  const failures: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await check(i);
    } catch (err) {
      failures.push(`run ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { runs: n, passed: n - failures.length, figures: figures(), failures };
}
