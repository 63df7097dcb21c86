// The onboarding benchmark's tables: throughput with the three ratios beside their targets, and
// the CPU each process used per onboarding in each run.
import type { CpuSnapshot } from './process-cpu';
import type { Cell, Table } from './table';

export interface Measured {
  seconds: number;
  n: number;
  /** CPU seconds by process over the whole run. */
  cpu: CpuSnapshot;
}

const ENGINE = ['worker', 'temporal'];
const OPENSTACK = ['keystone', 'nova', 'cinder', 'neutron', 'postgres'];
const PROCESSES = ['worker', 'temporal', 'api', 'driver', ...OPENSTACK, 'mailpit'];

export const TARGETS = {
  systemOverSameCalls: 0.9,
  systemOverFloor: 0.8,
  engineShare: 0.15,
};

const rate = (m: Measured) => m.n / m.seconds;
const cpuMs = (m: Measured, name: string) => ((m.cpu[name] ?? Number.NaN) * 1000) / m.n;
const sum = (m: Measured, names: string[]) =>
  names.reduce((total, name) => total + (Number.isNaN(cpuMs(m, name)) ? 0 : cpuMs(m, name)), 0);

/** (worker + Temporal) / (OpenStack + PostgreSQL), CPU per onboarding of a system run. */
export const engineShare = (m: Measured) => sum(m, ENGINE) / sum(m, OPENSTACK);

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const ratio = (value: number, target: number, atLeast = true) =>
  `${value.toFixed(2)} (${atLeast ? '≥' : '≤'} ${target}: ${verdict(atLeast ? value >= target : value <= target)})`;

export function onboardingTables(
  n: number,
  levels: number[],
  measured: Map<string, Measured>,
  notes: string[],
): Table[] {
  const get = (name: string) => {
    const m = measured.get(name);
    if (!m) throw new Error(`no measurement for ${name}`);
    return m;
  };
  const sequential = get('sequential');
  const runs = [
    'sequential',
    ...levels.flatMap((c) => ['floor', 'same-calls', 'system'].map((r) => `${r} c=${c}`)),
  ];

  const ratios: Cell[][] = levels.map((c) => {
    const system = get(`system c=${c}`);
    const faster = rate(system) / rate(sequential);
    return [
      c,
      ratio(rate(system) / rate(get(`same-calls c=${c}`)), TARGETS.systemOverSameCalls),
      rate(get(`same-calls c=${c}`)) / rate(get(`floor c=${c}`)),
      ratio(rate(system) / rate(get(`floor c=${c}`)), TARGETS.systemOverFloor),
      c === 1 ? `${faster.toFixed(2)} (> 1: ${verdict(faster > 1)})` : faster,
      ratio(engineShare(system), TARGETS.engineShare, false),
    ];
  });

  return [
    {
      title: `Onboarding throughput (N = ${n} per run)`,
      columns: ['run', 'onboardings/s', 'wall ms each', 'CPU ms each (all processes)'],
      rows: runs.map((name) => {
        const m = get(name);
        return [name, rate(m), (m.seconds * 1000) / m.n, sum(m, PROCESSES)];
      }),
      notes: [
        'system: approved registration started → welcome and set-password mails accepted by SMTP (the workflow waits for the password); c = the worker’s max_concurrent_activities; worker and setpass API each a process',
        'floor (plain): POST project, PUT Nova/Cinder/Neutron quotas, POST user with a password, PUT role over REST with one admin token; no engine, no look-ups, no mail',
        'same-calls: the worker’s own activities called in onboardUser’s order, from the benchmark process, with no engine: every REST and SMTP call the system makes',
        'sequential: the original script’s loop, one row at a time: the floor’s calls, PUT /token to setpass and both mails',
      ],
    },
    {
      title: 'Onboarding ratios against the targets (same run)',
      columns: [
        'c',
        'system / same-calls',
        'same-calls / floor',
        'system / floor',
        'system / sequential',
        'engine CPU / OpenStack CPU',
      ],
      rows: ratios,
      notes: [
        'system / same-calls: the engine’s own overhead; same-calls / floor: the price of the calls the floor leaves out',
        'engine CPU: worker + Temporal server; OpenStack CPU: Keystone, Nova, Cinder, Neutron API processes and PostgreSQL (system run, per onboarding)',
      ],
    },
    {
      title: 'CPU ms per onboarding, by process (user + system, with children, from /proc)',
      columns: ['run', ...PROCESSES, 'engine share'],
      rows: runs.map((name) => {
        const m = get(name);
        return [
          name,
          ...PROCESSES.map((p) => (Number.isNaN(cpuMs(m, p)) ? '—' : cpuMs(m, p))),
          name.startsWith('system') ? engineShare(m) : '',
        ];
      }),
      notes: [
        'driver: the benchmark process (starts and counts the workflows; in the floors it makes the calls itself); worker: only in the system runs',
        'the Temporal dev server, PostgreSQL and the OpenStack services are measured in every run: in the floors their share is what they do idle or for the calls',
        ...notes,
      ],
    },
  ];
}
