// The last release, which the upgrade tests start from (test/production/upgrade.test.ts rolls
// processes, test/stack/upgrade.test.ts the compose stack's containers), as a git commit.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The release whose waiting onboardings today's code must finish. */
export const RELEASE = 'v0.1.0';
const ROOT = resolve(__dirname, '..', '..');

export const git = (...args: string[]) =>
  execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: 'pipe' }).trim();

/** KAIZEN_UPGRADE_FROM, else the release tag, else the commit that added it to CHANGELOG.md. */
export function releaseCommit(): { commit: string; from: string } {
  const ref = process.env.KAIZEN_UPGRADE_FROM;
  if (ref) return { commit: git('rev-parse', '--verify', `${ref}^{commit}`), from: ref };
  try {
    return { commit: git('rev-parse', '--verify', `${RELEASE}^{commit}`), from: `tag ${RELEASE}` };
  } catch {
    // A clone may lack tags; the changelog heading marks the release too.
  }
  const added = git('log', '--format=%H', `-S## ${RELEASE}`, '--', 'CHANGELOG.md').split('\n');
  const commit = added.filter(Boolean).pop();
  if (commit) return { commit, from: `CHANGELOG.md's "## ${RELEASE}"` };
  throw new Error(
    `no ${RELEASE} to upgrade from: no tag ${RELEASE} (git fetch --tags) and no commit adds "## ${RELEASE}" to CHANGELOG.md; set KAIZEN_UPGRADE_FROM to a git ref to try another version`,
  );
}
