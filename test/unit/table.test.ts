import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable, median, quantile } from '../../bench/table';

test('tables line up their columns and show numbers with two decimals', () => {
  const text = formatTable({
    title: 'T',
    columns: ['name', 'rate'],
    rows: [
      ['a', 1.234],
      ['longer', 12],
    ],
    notes: ['n'],
  });
  assert.equal(
    text,
    [
      '### T',
      '',
      '| name   | rate |',
      '| ------ | ---- |',
      '| a      | 1.23 |',
      '| longer | 12   |',
      '',
      '- n',
      '',
    ].join('\n'),
  );
});

test('quantiles by nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(median(values), 50);
  assert.equal(quantile(values, 0.99), 99);
  assert.equal(quantile([7], 0.99), 7);
  assert.ok(Number.isNaN(median([])));
});
