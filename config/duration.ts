// Durations in config are written the way operators think of them: "48h", "30m", "7d", "90s".
// A bare number is seconds, as the original setpass token_expiration was.
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.d === 0) return plural(ms / UNIT_MS.d, 'day');
  if (ms % UNIT_MS.h === 0) return plural(ms / UNIT_MS.h, 'hour');
  if (ms % UNIT_MS.m === 0) return plural(ms / UNIT_MS.m, 'minute');
  return plural(Math.round(ms / UNIT_MS.s), 'second');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
