// What a benchmark ran on, printed under its table: results mean little without it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export type Progress = (message: string) => void;

/** Progress for a loop that reports often: passes a message on at most once per `everyMs`. */
export function throttled(progress: Progress, everyMs: number): Progress {
  let shown = Date.now();
  return (message) => {
    if (Date.now() - shown < everyMs) return;
    progress(message);
    shown = Date.now();
  };
}

/** The bcrypt cost Keystone hashes new passwords with (scripts/services.sh writes the file). */
function keystoneHashRounds(): string {
  const state = process.env.KAIZEN_STATE_DIR ?? '.state';
  try {
    const conf = readFileSync(join(state, 'keystone', 'keystone.conf'), 'utf8');
    return /^password_hash_rounds\s*=\s*(\d+)/m.exec(conf)?.[1] ?? '12 (Keystone default)';
  } catch {
    return 'unknown (no .state/keystone/keystone.conf)';
  }
}

/** The services of scripts/services.sh that were up: they share the machine with the run. */
function servicesUp(): string {
  try {
    const status = execFileSync('scripts/services.sh', ['status'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return [...status.matchAll(/^(\S+)\s+up\b/gm)].map((m) => m[1]).join(', ') || 'none';
  } catch {
    return 'unknown (scripts/services.sh status failed)';
  }
}

export function machineNotes(): string[] {
  const cpu = cpus();
  return [
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    `sharing the machine: ${servicesUp()} (all on loopback), plus this benchmark process`,
    `Keystone bcrypt rounds: ${keystoneHashRounds()}`,
  ];
}
