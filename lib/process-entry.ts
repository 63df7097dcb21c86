// What the long-running process entries (worker, setpass API, codec endpoint) do alike: stop
// cleanly on SIGTERM or SIGINT (HTTP servers without cutting requests short), and exit non-zero
// with one line saying why start-up failed.
import type { Server, ServerResponse } from 'node:http';

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

/** Runs a process's `run()`; a failure ends the process with `<name> stopped: <reason>`. */
export function runEntry(name: string, run: () => Promise<void>): void {
  run().catch((err: unknown) => {
    console.error(`${name} stopped: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
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
