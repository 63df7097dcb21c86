// The admin CLI run as an operator runs it: its own process, the example settings, the test's
// task queue. Never throws: the exit code and both outputs are the result.
import { execFile } from 'node:child_process';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliProcess(taskQueue: string): (...args: string[]) => Promise<CliRun> {
  return (...args) =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', ...args],
        {
          env: {
            ...process.env,
            KAIZEN_SETTINGS: 'example_settings.ini',
            KAIZEN_TEMPORAL__TASK_QUEUE: taskQueue,
          },
          encoding: 'utf8',
        },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
}
