// CPU seconds by process, from /proc (Linux): which part of the machine a benchmark run used.
// A part is a process and all its descendants (uwsgi workers, PostgreSQL backends), plus the
// CPU of descendants already exited and reaped (cutime/cstime), so a before/after difference
// counts children that came and went in between.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of the system a benchmark reports, each found by its root pid. */
export type Parts = Record<string, number | undefined>;

export type CpuSnapshot = Record<string, number>;

export interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in seconds. */
  cpu: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function readStat(pid: string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { pid: Number(pid), ppid: Number(fields[1]), cpu: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined; // exited while we looked
  }
}

function processTable(): Stat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => readStat(pid) ?? []);
}

/** CPU seconds used so far by each part (NaN for a part with no live root or no /proc). */
export function cpuSnapshot(parts: Parts): CpuSnapshot {
  try {
    return partsCpu(processTable(), parts);
  } catch {
    return Object.fromEntries(Object.keys(parts).map((name) => [name, Number.NaN]));
  }
}

/** Each part's CPU in a process table: its root, and the descendants no other part roots. */
export function partsCpu(table: Stat[], parts: Parts): CpuSnapshot {
  const children = new Map<number, Stat[]>();
  for (const stat of table) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const byPid = new Map(table.map((s) => [s.pid, s]));
  // A part started by another (the worker, by the benchmark) is counted once, as itself.
  const roots = new Set(Object.values(parts));
  const treeCpu = (root: Stat): number =>
    root.cpu +
    (children.get(root.pid) ?? [])
      .filter((c) => !roots.has(c.pid))
      .reduce((sum, c) => sum + treeCpu(c), 0);
  return Object.fromEntries(
    Object.entries(parts).map(([name, pid]) => {
      const root = pid === undefined ? undefined : byPid.get(pid);
      return [name, root ? treeCpu(root) : Number.NaN];
    }),
  );
}

/** What each part used between two snapshots, in seconds. */
export function cpuUsed(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return Object.fromEntries(
    Object.keys(after).map((name) => [name, after[name]! - (before[name] ?? Number.NaN)]),
  );
}

/** The local services of scripts/services.sh, by the pid files it writes. */
export function servicePids(stateDir = process.env.KAIZEN_STATE_DIR ?? '.state'): Parts {
  const pid = (name: string): number | undefined => {
    try {
      const value = Number(
        readFileSync(join(stateDir, 'run', `${name}.pid`), 'utf8').split('\n')[0],
      );
      return Number.isInteger(value) && value > 0 ? value : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    temporal: pid('temporal'),
    keystone: pid('keystone'),
    nova: pid('nova'),
    cinder: pid('cinder'),
    neutron: pid('neutron'),
    postgres: pid('postgres'),
    mailpit: pid('mailpit'),
  };
}

/** Measures what each part used while `work` ran. */
export async function measureCpu(parts: Parts, work: () => Promise<void>): Promise<CpuSnapshot> {
  const before = cpuSnapshot(parts);
  await work();
  return cpuUsed(before, cpuSnapshot(parts));
}
