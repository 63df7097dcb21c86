// The processes of a recording: the services' environment, the worker and setpass API of the code
// being recorded (this checkout or a git worktree of another version), and what that code has.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEDULES_ONLY_PATCH } from '../../workflows/password-wait';
import { eventually } from '../../test/support/services';
import type { Exit } from './context';
import { ROOT, SERVICES_ENV, progress } from './context';

/** The variables .state/services.env exports, as the shell reads them. */
export function servicesEnv(): Record<string, string> {
  if (!existsSync(SERVICES_ENV))
    throw new Error(`${SERVICES_ENV} is missing: start the services (scripts/services.sh start)`);
  const out = execFileSync('bash', ['-c', 'set -a; . "$1" >/dev/null; env -0', '_', SERVICES_ENV], {
    encoding: 'utf8',
  });
  const exported = new Set(
    readFileSync(SERVICES_ENV, 'utf8')
      .split('\n')
      .flatMap((l) => /^export ([A-Z0-9_]+)=/.exec(l)?.[1] ?? []),
  );
  const env: Record<string, string> = {};
  for (const entry of out.split('\0')) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at);
    if (at > 0 && exported.has(name)) env[name] = entry.slice(at + 1);
  }
  return env;
}

export interface Running {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `node --import tsx <script>` in `cwd` with `env`; resolves once it prints `ready`. */
export async function startProcess(
  name: string,
  cwd: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const running: Running = {
    name,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await eventually(
      `${name} to be ready`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited ${child.exitCode}: ${output.slice(-3000)}`);
        return ready.test(output) ? true : undefined;
      },
      120_000,
    );
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

export const git = (...args: string[]) =>
  execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();

/** The code to record: a worktree of `ref`, or the working tree; and how to describe it. */
export function checkout(ref: string | undefined, temp: string): { dir: string; source: string } {
  if (ref === undefined) {
    const changed = git('status', '--porcelain', '--', 'workflows', 'shared', 'activities');
    return {
      dir: ROOT,
      source: `working tree at ${git('rev-parse', 'HEAD')}${changed ? ', with uncommitted changes to workflows/, shared/ or activities/' : ''}`,
    };
  }
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(temp, 'src');
  progress(`git worktree of ${ref} (${commit.slice(0, 12)}) in ${dir}`);
  git('worktree', 'add', '--detach', dir, commit);
  return { dir, source: `commit ${commit} (${ref})` };
}

/** What the code to record can do, read from its source (it may be an older version). */
export function codeFacts(src: string): Record<NonNullable<Exit['needs']>, boolean> {
  const read = (...path: string[]) => readFileSync(join(src, ...path), 'utf8');
  return {
    updates: /defineUpdate/.test(read('shared', 'onboarding.ts')),
    'legacy-input':
      /intervalMs/.test(read('shared', 'onboarding.ts')) &&
      !readdirSync(join(src, 'workflows')).some((file) =>
        read('workflows', file).includes(`'${SCHEDULES_ONLY_PATCH}'`),
      ),
  };
}
