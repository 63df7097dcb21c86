// docker-compose.yml as operators run it, with deploy/compose.test.yml, on the project's own
// engine (test/stack/*.test.ts): the stack prepared (test/support/stack-render.ts), up, waiting,
// logs, down.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runCommand, type CommandResult, type RunOptions } from './run-command';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema';
import { connectClient } from '../../lib/temporal';
import { eventually, testConfig } from './services';
import type { Stack } from './stack-render';

export type { CommandResult } from './run-command';
export {
  prepareStack,
  PROJECT,
  renderCompose,
  type AdminsWindow,
  type Stack,
  type StackOptions,
} from './stack-render';

const execFileAsync = promisify(execFile);
/** Jobs that run once: done when they exited 0. */
export const ONE_SHOT = ['temporal-schema', 'temporal-init', 'schedules'];
export const docker = (...args: string[]) => runCommand('docker', args);

/** docker-compose on the rendered stack. */
export function compose(
  stack: Stack,
  args: string[],
  options: Omit<RunOptions, 'env'> = {},
): Promise<CommandResult> {
  return runCommand(
    'docker-compose',
    ['-p', stack.project, '-f', stack.file, '--project-directory', ROOT, ...args],
    options,
  );
}

export async function composeOk(
  stack: Stack,
  args: string[],
  options: Omit<RunOptions, 'env'> = {},
): Promise<string> {
  const result = await compose(stack, args, options);
  assert.equal(result.code, 0, `docker-compose ${args.join(' ')}: ${result.stderr.slice(-3000)}`);
  return result.stdout;
}

export interface ServiceState {
  service: string;
  status: string;
  exitCode: number;
  health?: string;
  restarts: number;
}

interface Inspected {
  Config: { Labels: Record<string, string> };
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
  RestartCount: number;
}

export async function serviceStates(stack: Stack): Promise<ServiceState[]> {
  const ids = (await composeOk(stack, ['ps', '-q'])).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const inspected = await docker('inspect', ...ids);
  assert.equal(inspected.code, 0, inspected.stderr);
  return (JSON.parse(inspected.stdout) as Inspected[]).map((c) => ({
    service: c.Config.Labels['com.docker.compose.service'] ?? '?',
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status,
    restarts: c.RestartCount,
  }));
}

/** Done: one-shot jobs exited 0; the others run, healthy where they have a health check. */
function ready(state: ServiceState): boolean {
  if (ONE_SHOT.includes(state.service)) return state.status === 'exited' && state.exitCode === 0;
  return state.status === 'running' && (state.health === undefined || state.health === 'healthy');
}

/** Waits until every service of the stack is ready; fails at once when a job fails. */
export async function waitReady(stack: Stack, timeoutMs: number): Promise<ServiceState[]> {
  return eventually(
    'every service of the stack healthy, running or completed',
    async () => {
      const states = await serviceStates(stack);
      const failed = states.find(
        (s) => (s.status === 'exited' && s.exitCode !== 0) || s.health === 'unhealthy',
      );
      if (failed) throw new Error(`${failed.service} failed: ${JSON.stringify(failed)}`);
      const all = stack.services.every((name) =>
        states.some((s) => s.service === name && ready(s)),
      );
      return all ? states : undefined;
    },
    timeoutMs,
  );
}

/** The stack's logs into test-artifacts/, then down with its volume, and the folder removed. */
export async function downStack(stack: Stack): Promise<void> {
  const logs = await compose(stack, ['logs', '--no-color', '--timestamps']);
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  writeFileSync(join(ROOT, 'test-artifacts', `${stack.project}.log`), logs.stdout + logs.stderr);
  await composeOk(stack, ['down', '-v', '--remove-orphans']);
  rmSync(stack.dir, { recursive: true, force: true });
}

/** Whether a process runs in a container: its cgroup is one the Docker engine made. */
function inContainer(pid: string): boolean {
  const cgroup = readFileSync(`/proc/${pid}/cgroup`, { encoding: 'utf8', flag: 'r' });
  return /\/docker[/-]/.test(cgroup);
}

/**
 * TCP listeners of containers (host network: they share the host's), as ADDRESS:PORT. Only
 * containers' own: a test server or browser elsewhere on the machine is none of the stack's.
 */
export async function listeners(): Promise<string[]> {
  const { stdout } = await execFileAsync('ss', ['-ltnpH']);
  return stdout.split('\n').flatMap((line) => {
    const address = line.trim().split(/\s+/)[3];
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => m[1]!);
    const ours = pids.some((pid) => {
      try {
        return inContainer(pid);
      } catch {
        return false; // the process has gone
      }
    });
    return address && ours ? [address] : [];
  });
}

/**
 * The host's view of a stack: settings for its Temporal and keys, a client, and the helpers of
 * test/support reading the mail from the stack's own Mailpit.
 */
export async function connectToStack(stack: Stack): Promise<{ config: Config; client: Client }> {
  const config = testConfig({
    KAIZEN_TEMPORAL__ADDRESS: `127.0.0.1:${stack.ports.TEMPORAL}`,
    KAIZEN_SECRETS__CODEC_KEY: stack.codecKey,
    KAIZEN_SECRETS__SETPASS_KEY: stack.setpassKey,
  });
  process.env.KAIZEN_MAILPIT_API = `http://127.0.0.1:${stack.ports.MAIL_HTTP}`;
  return { config, client: await connectClient(config) };
}
