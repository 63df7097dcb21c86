// Commands with the project's Docker engine (test/support/compose-stack.ts and its parts).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { dockerHost } from './docker';

export const ROOT = resolve(__dirname, '..', '..');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  /** Then SIGTERM, and the result says so (`up` waits as long as a job runs). */
  timeoutMs?: number;
}

/** Runs a command with the project's engine; `input` goes to its standard input. */
export function runCommand(
  command: string,
  args: string[],
  { env = {}, input = '', timeoutMs = 300_000 }: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, DOCKER_HOST: dockerHost() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n[test] ${command} ${args.join(' ')}: no end after ${timeoutMs} ms; stopped`;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    // A command that exits without reading its input (docker image inspect) closes the pipe
    // first: EPIPE here is no failure of the command, its exit code says how it went.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export const docker = (...args: string[]) => runCommand('docker', args);
