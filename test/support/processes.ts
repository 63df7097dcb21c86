// The programs as operators run them: separate Node processes, started and killed by tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { eventually } from './services';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `node --import tsx <script>` with extra environment; resolves once `ready` is printed.
 * `cwd` (default: this process's) is where the script and the relative KAIZEN_SETTINGS are found.
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  args: string[] = [],
  options: { cwd?: string } = {},
): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, KAIZEN_SETTINGS: 'example_settings.ini', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running: RunningProcess = {
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  try {
    await eventually(`${script} to be ready`, async () => {
      if (child.exitCode !== null) throw new Error(`${script} exited: ${output.slice(-2000)}`);
      return ready.test(output) ? true : undefined;
    });
  } catch (err) {
    await running.stop('SIGKILL');
    throw err;
  }
  return running;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
