// What the long-running process entries (worker, setpass API, codec endpoint) do alike: stop
// cleanly on SIGTERM or SIGINT (HTTP servers without cutting requests short), and say in one line
// why start-up failed: exit non-zero, or, for bad configuration in the image, wait.
import type { Server, ServerResponse } from 'node:http';
import { ConfigError } from '../config/load';

type Log = (message: string, fields?: Record<string, unknown>) => void;

/** On SIGTERM or SIGINT: log, `close`, `flush` what the log still holds, exit 0 (1 if close failed). */
export function stopOnSignals(close: () => Promise<void>, log: Log, flush = () => {}): void {
  const shutdown = (signal: string) => {
    log('shutting down', { signal });
    close().then(
      () => {
        flush();
        process.exit(0);
      },
      (err: unknown) => {
        flush();
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/**
 * KAIZEN_ON_BAD_CONFIG=wait (the image sets it): a start-up failure that no restart can mend
 * (a ConfigError) leaves the process idle instead of exiting, so `restart: unless-stopped` does
 * not loop and the health check shows it unhealthy. Elsewhere every failure exits 1.
 */
export const WAIT_ON_BAD_CONFIG = 'KAIZEN_ON_BAD_CONFIG';

/** What a failed start says, and whether the process waits instead of exiting. */
export function startFailure(
  name: string,
  err: unknown,
  options: { service?: string; env?: NodeJS.ProcessEnv } = {},
): { message: string; wait: boolean } {
  const reason = err instanceof Error ? err.message : String(err);
  const wait = err instanceof ConfigError && options.env?.[WAIT_ON_BAD_CONFIG] === 'wait';
  if (!wait) return { message: `${name} stopped: ${reason}`, wait };
  const apply = options.service
    ? `docker compose up -d --force-recreate ${options.service}`
    : 'recreate or restart this container';
  return {
    message:
      `${name} cannot start: ${reason}
` +
      `${name} waits, unhealthy, as a restart cannot mend this (${WAIT_ON_BAD_CONFIG}=wait): ` +
      `correct the setting, then apply it with: ${apply}`,
    wait,
  };
}

/**
 * Runs a process's `run()`; a failure ends the process with `<name> stopped: <reason>`, or, for
 * bad configuration in the image, says so and idles until SIGTERM or SIGINT. `service` is the
 * process's service in docker-compose.yml, for the hint.
 */
export function runEntry(name: string, run: () => Promise<void>, service?: string): void {
  run().catch((err: unknown) => {
    const failure = startFailure(name, err, { ...(service ? { service } : {}), env: process.env });
    console.error(failure.message);
    if (!failure.wait) process.exit(1);
    // Nothing else runs: no connection is open and nothing is retried. PID 1 in a container
    // ignores SIGTERM unless it listens, so `docker compose stop` would wait out its timeout.
    const idle = setInterval(() => {}, 2 ** 30);
    const leave = () => {
      clearInterval(idle);
      process.exit(0);
    };
    process.once('SIGTERM', leave);
    process.once('SIGINT', leave);
  });
}

/**
 * Stops an HTTP server gracefully: no new connections, requests in flight finish (each answer
 * closes its connection), and a client still busy after `graceMs` is cut off, so a proxy's pooled
 * connection cannot keep the process alive.
 */
export async function closeHttpServer(server: Server, graceMs = 5_000): Promise<void> {
  server.on('request', (_req, res: ServerResponse) => res.setHeader('Connection', 'close'));
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(cutOff);
}
