import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuSnapshot, partsCpu, type Stat } from '../../bench/process-cpu';
import { engineShare } from '../../bench/onboarding-report';

// A service (1) with two workers (2, 3, one with a child 4), and the benchmark (10), which started
// the worker process (11) that is a part of its own.
const table: Stat[] = [
  { pid: 1, ppid: 0, cpu: 1 },
  { pid: 2, ppid: 1, cpu: 2 },
  { pid: 3, ppid: 1, cpu: 4 },
  { pid: 4, ppid: 3, cpu: 8 },
  { pid: 10, ppid: 0, cpu: 16 },
  { pid: 11, ppid: 10, cpu: 32 },
  { pid: 12, ppid: 11, cpu: 64 },
];

test('a part counts its whole tree, but not a subtree another part roots', () => {
  assert.deepEqual(partsCpu(table, { service: 1, driver: 10, worker: 11 }), {
    service: 15,
    driver: 16,
    worker: 96,
  });
});

test('a part without a live root reads NaN, not zero', () => {
  const cpu = partsCpu(table, { gone: 99, none: undefined });
  assert.ok(Number.isNaN(cpu.gone) && Number.isNaN(cpu.none));
});

test('this process reads from /proc, and its CPU only grows', () => {
  const before = cpuSnapshot({ self: process.pid }).self!;
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i % 7;
  assert.ok(x > 0);
  assert.ok(cpuSnapshot({ self: process.pid }).self! > before);
});

test('the engine share is worker + Temporal over OpenStack + PostgreSQL', () => {
  const cpu = { worker: 1, temporal: 2, keystone: 10, nova: 5, cinder: 3, neutron: 1, postgres: 1 };
  assert.equal(engineShare({ seconds: 1, n: 1, cpu: { ...cpu, api: 50, mailpit: 50 } }), 0.15);
});
