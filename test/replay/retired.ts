// The only fixture files allowed to have left, or changed, after they were committed: each one
// reviewed, with why. discipline.test.ts fails on any other. A fixture leaves only when
// deprecatePatch() retires the path it recorded (test/replay/README.md, "A patch, step by
// step", 5): that change adds its files here, in the same commit that removes them.

export interface Retired {
  /** A fixture file, or a whole folder ending in `/`. Once retired, the path stays unused. */
  path: string;
  /** The commit that removed it. */
  commit: string;
  why: string;
}

export const RETIRED: readonly Retired[] = [
  {
    path: 'test/replay/v0.1.0-26-g4deaff6/',
    commit: '645cdff',
    // Removed before this check existed: the deletion it now refuses.
    why: "recorded for patched('keystone-steps-local'), renamed 'local-steps-user-with-link' before any release: no deployed worker wrote such a history",
  },
];

export interface Superseded {
  path: string;
  /** The committed content that was replaced. */
  blob: string;
  /** The commit that replaced it. */
  commit: string;
  why: string;
}

// Rewritten by 1fbb89e, before this check existed: their stack traces held the recording
// machine's checkout path. Stack traces are not replayed; the events are unchanged.
const PATH_SCRUB = { commit: '1fbb89e', why: 'absolute checkout path removed from stack traces' };

/** Committed fixture contents later rewritten; each later content is held like any other. */
export const SUPERSEDED: readonly Superseded[] = [
  {
    path: 'test/replay/v0.1.0/onboardUser-failed-4xx.json',
    blob: '8c87a15a76330200585a479ab2ccc04b75a8fcd3',
    ...PATH_SCRUB,
  },
  {
    path: 'test/replay/v0.1.0/onboardUser-mail-refused-retried.json',
    blob: '7f8598f72c2e61bafe1dff8507d0832e2fe45f42',
    ...PATH_SCRUB,
  },
  {
    path: 'test/replay/v0.1.0-1-g8a3a36b/onboardUser-failed-4xx.json',
    blob: '5cb9b2f5c03f71da164387be970920271b7bd158',
    ...PATH_SCRUB,
  },
  {
    path: 'test/replay/v0.1.0-1-g8a3a36b/onboardUser-mail-refused-retried.json',
    blob: '0cfed7e0caaf5edfbb08d9ded4a0298ed8b75c9a',
    ...PATH_SCRUB,
  },
];

export const isRetired = (path: string): boolean =>
  RETIRED.some((r) => (r.path.endsWith('/') ? path.startsWith(r.path) : path === r.path));

export const isSuperseded = (path: string, blob: string): boolean =>
  SUPERSEDED.some((s) => s.path === path && s.blob === blob);
