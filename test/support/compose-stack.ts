// docker-compose.yml as operators run it, with deploy/compose.test.yml, on the project's own
// engine (test/stack/stack.test.ts): ports, settings and secrets in a temporary folder, the
// merged file rendered for docker-compose 1.29 and the host network, up, waiting, logs, down.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { dockerHost } from './docker';
import { eventually } from './services';
import { distinctFreePorts, PORT_NAMES, writeStackFolder, type PortName } from './stack-folder';

const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
/** KAIZEN_STACK_PROJECT: another name lets two stacks share the engine. */
export const PROJECT = process.env.KAIZEN_STACK_PROJECT ?? 'kaizen-test';
/** Jobs that run once: done when they exited 0. */
export const ONE_SHOT = ['temporal-schema', 'temporal-init', 'schedules'];

interface ComposeService {
  image?: string;
  network_mode?: string;
  ports?: unknown;
  profiles?: string[];
  command?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

export interface Stack {
  /** docker-compose's project name: stacks of other names share the engine. */
  project: string;
  dir: string;
  /** The rendered compose file that `compose` runs (another is rendered for an upgrade). */
  file: string;
  ports: Record<PortName, number>;
  codecKey: string;
  setpassKey: string;
  /** The services `up` starts (the Web UI has no stand-in yet: left out by its profile). */
  services: string[];
  /** The images the stack runs, for the preconditions. */
  images: string[];
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  /** Then SIGTERM, and the result says so (`up` waits as long as a job runs). */
  timeoutMs?: number;
}

/** Runs a command with the project's engine; `input` goes to its standard input. */
function runCommand(
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
    child.stdin.end(input);
  });
}

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

/**
 * docker-compose.yml merged with deploy/compose.test.yml (`docker-compose config`), then what an
 * override cannot say to docker-compose 1.29: no `ports` (it refuses them with the host network
 * and cannot remove them), and temporal-schema's script given the database's address here
 * instead of postgresql:5432 (the rest of the script runs as written).
 */
export async function renderCompose(
  dir: string,
  ports: Record<PortName, number>,
  appImage?: string,
): Promise<{ file: ComposeFile; path: string }> {
  const env: Record<string, string> = { KAIZEN_STACK_DIR: dir };
  if (appImage) env.KAIZEN_APP_IMAGE = appImage;
  for (const name of PORT_NAMES) env[`KAIZEN_STACK_${name}_PORT`] = String(ports[name]);
  const merged = await runCommand(
    'docker-compose',
    ['-f', 'docker-compose.yml', '-f', 'deploy/compose.test.yml', 'config'],
    { env },
  );
  assert.equal(merged.code, 0, `docker-compose config: ${merged.stderr}`);
  // docker-compose 1.29 prints YAML only; PyYAML comes with it (python3-yaml).
  const json = await runCommand(
    'python3',
    ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: merged.stdout },
  );
  assert.equal(json.code, 0, `YAML to JSON: ${json.stderr}`);
  const file = JSON.parse(json.stdout) as ComposeFile;

  for (const [name, service] of Object.entries(file.services)) {
    assert.equal(service.network_mode, 'host', `${name} runs on the host network`);
    delete service.ports;
  }
  const schema = file.services['temporal-schema'];
  const database = '--ep postgresql -u temporal -p 5432 ';
  const script = schema?.command?.[0] ?? '';
  assert.equal(script.split(database).length, 2, `temporal-schema's script names ${database}once`);
  schema!.command = [script.replace(database, `--ep 127.0.0.1 -u temporal -p ${ports.PG} `)];
  const path = join(dir, `compose-${(appImage ?? 'default').replace(/[^\w.-]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(file, null, 1));
  return { file, path };
}

export interface StackOptions {
  project?: string;
  /** The app services' image (default: KAIZEN_APP_IMAGE, else kaizen-onboarding:test). */
  appImage?: string;
  /** The text settings.ini is made from (default: today's example_settings.ini). */
  exampleSettings?: string;
}

export async function prepareStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-stack-'));
  const ports = await distinctFreePorts();
  const keys = await writeStackFolder(dir, ports, options.exampleSettings);
  const { file, path } = await renderCompose(dir, ports, options.appImage);
  const services = Object.entries(file.services)
    .filter(([, s]) => !s.profiles?.length)
    .map(([name]) => name);
  const images = [
    ...new Set(services.map((name) => file.services[name]!.image).filter((i) => i !== undefined)),
  ];
  return { project: options.project ?? PROJECT, dir, file: path, ports, ...keys, services, images };
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

/** TCP listeners of this host (the containers' too: host network), as ADDRESS:PORT. */
export async function listeners(): Promise<string[]> {
  const { stdout } = await execFileAsync('ss', ['-ltnH']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[3])
    .filter((address): address is string => !!address);
}
