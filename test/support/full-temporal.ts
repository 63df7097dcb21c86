// The full Temporal server (frontend, history, matching and worker in one process, on the
// project's PostgreSQL) that scripts/temporal-server.sh runs beside the dev server, for tests
// that need production-like behaviour: several worker processes, a server restart.
// Every helper runs the script synchronously; its progress goes to this process's stderr.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'temporal-server.sh');
const PREFIX = 'KAIZEN_FULL_TEMPORAL_ADDRESS=';

/** Keep in step with FRONTEND_PORT's default in scripts/temporal-server.sh. */
const DEFAULT_PORT = '7243';

function run(command: 'start' | 'stop' | 'restart', timeoutMs: number): string {
  return execFileSync(SCRIPT, [command], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: timeoutMs,
  });
}

/** The full server's frontend gRPC address: $FULL_TEMPORAL_PORT on 127.0.0.1 (default 7243). */
export function fullTemporalAddress(): string {
  return `127.0.0.1:${process.env.FULL_TEMPORAL_PORT || DEFAULT_PORT}`;
}

/** The address from the last line the script printed, checked against fullTemporalAddress(). */
function addressFrom(output: string): string {
  const line = output.trim().split('\n').pop() ?? '';
  if (!line.startsWith(PREFIX)) {
    throw new Error(`scripts/temporal-server.sh printed no ${PREFIX} line: ${output}`);
  }
  const address = line.slice(PREFIX.length);
  if (address !== fullTemporalAddress()) {
    throw new Error(`full Temporal server at ${address}, expected ${fullTemporalAddress()}`);
  }
  return address;
}

/**
 * Starts the server unless it is up (then returns at once) and waits until namespace `default`
 * and the Onboarding* search attributes are usable. Needs PostgreSQL (`scripts/services.sh start
 * postgres`); builds the server first if it is not in the cache (minutes). Returns the address.
 */
export function startFullTemporal(): string {
  return addressFrom(run('start', 15 * 60_000));
}

/** Stops the server (SIGTERM, SIGKILL after 30 s); a no-op when it is not running. */
export function stopFullTemporal(): void {
  run('stop', 60_000);
}

/**
 * Stops and starts the server; workflows, task queues and search attributes survive. Clients and
 * workers keep their connections' settings and reconnect by themselves once it is back.
 */
export function restartFullTemporal(): string {
  return addressFrom(run('restart', 5 * 60_000));
}
