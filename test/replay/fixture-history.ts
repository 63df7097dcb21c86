// What git knows of the fixture folders: every version of every fixture file ever committed, the
// last release, and which code a folder was recorded from. discipline.test.ts holds the working
// tree to them (test/replay/README.md, "Checked on every run").
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
const REPLAY = 'test/replay';

/** A file inside a fixture folder (`test/replay/<label>/…`): a history or a RECORDED.md. */
export const isFixturePath = (path: string): boolean => /^test\/replay\/[^/]+\/./.test(path);

function git(args: string[], input?: string): string {
  return execFileSync('git', ['-C', ROOT, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Deletions hide in history: a shallow clone (or no git) would pass every check unseen. */
export function requireFullHistory(): void {
  let shallow: string;
  try {
    shallow = git(['rev-parse', '--is-shallow-repository']).trim();
  } catch (err) {
    throw new Error(
      `the fixture checks read git history, and git could not: ${(err as Error).message.split('\n')[0]}. Run the tests in a git clone.`,
      { cause: err },
    );
  }
  if (shallow === 'true')
    throw new Error(
      'this clone is shallow: fixtures deleted in its missing history would go unseen. Run `git fetch --unshallow --tags`.',
    );
}

export interface Release {
  version: string;
  commit: string;
  /** How the commit was found, for the test's report. */
  from: string;
}

const VERSION = /^v(\d+)\.(\d+)\.(\d+)$/;
const versionKey = (v: string) => (VERSION.exec(v)?.slice(1) ?? []).map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [versionKey(a), versionKey(b)];
  const i = x.findIndex((n, k) => n !== y[k]);
  return i >= 0 && x[i]! > y[i]!;
};

/**
 * The newest release, named by a tag or by a `## vX.Y.Z` heading of CHANGELOG.md. Its tag marks
 * its commit; without the tag (a clone that did not fetch tags) the commit that added the
 * heading does, as in test/production/upgrade.test.ts.
 */
export function lastRelease(): Release {
  const tags = git(['tag', '--list', 'v*', '--merged', 'HEAD'])
    .split('\n')
    .filter((t) => VERSION.test(t));
  const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  const headings = [...changelog.matchAll(/^## \[?(v\d+\.\d+\.\d+)\]?/gm)].map((m) => m[1]!);
  const version = [...tags, ...headings].reduce<string | undefined>(
    (best, v) => (best === undefined || newer(v, best) ? v : best),
    undefined,
  );
  if (version === undefined)
    throw new Error(
      'no release to hold the fixtures to: no tag vX.Y.Z here and no "## vX.Y.Z" in CHANGELOG.md. If the project has released, fetch its tags: `git fetch --tags`.',
    );
  if (tags.includes(version))
    return { version, commit: git(['rev-parse', `${version}^{commit}`]).trim(), from: 'its tag' };
  const added = git(['log', '--format=%H', `-S## ${version}`, 'HEAD', '--', 'CHANGELOG.md'])
    .split('\n')
    .filter(Boolean)
    .pop();
  if (added === undefined)
    throw new Error(
      `no tag ${version} in this clone and no commit adds "## ${version}" to CHANGELOG.md: run \`git fetch --tags\`.`,
    );
  return {
    version,
    commit: added,
    from: `the commit that added "## ${version}" to CHANGELOG.md (no tag ${version} in this clone: \`git fetch --tags\` to use it)`,
  };
}

export interface FixtureVersion {
  path: string;
  blob: string;
  /** The commit that wrote this content. */
  commit: string;
}

/** Every content every fixture file had in any commit reachable from HEAD, merges included. */
export function committedFixtureVersions(): FixtureVersion[] {
  const out = git([
    'log',
    '-m',
    '--full-history',
    '--no-renames',
    '--raw',
    '--no-abbrev',
    '-z',
    '--format=%x01%H',
    'HEAD',
    '--',
    `:(glob)${REPLAY}/*/**`,
  ]);
  const seen = new Map<string, FixtureVersion>();
  const tokens = out.split('\0');
  let commit = '';
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!.replace(/^\n+/, '');
    if (token.startsWith('\x01')) commit = token.slice(1);
    else if (token.startsWith(':')) {
      const blob = token.split(' ')[3] ?? '';
      const path = tokens[(i += 1)] ?? '';
      // Newest first: the last commit seen for a content is the one that wrote it.
      if (!/^0+$/.test(blob) && isFixturePath(path))
        seen.set(`${path}\0${blob}`, { path, blob, commit });
    }
  }
  return [...seen.values()];
}

/** The fixture files of a commit, path → blob. */
export function fixturesAt(commit: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of git(['ls-tree', '-r', '-z', '--full-tree', commit, '--', REPLAY]).split(
    '\0',
  )) {
    const [meta, path] = line.split('\t');
    const blob = meta?.split(' ')[2];
    if (path && blob && isFixturePath(path)) files.set(path, blob);
  }
  return files;
}

/** The blob each path's working-tree file would be committed as; missing files are left out. */
export function worktreeBlobs(paths: Iterable<string>): Map<string, string> {
  const present = [...new Set(paths)].filter((p) => {
    const file = join(ROOT, p);
    return existsSync(file) && statSync(file).isFile();
  });
  if (present.length === 0) return new Map();
  const blobs = git(['hash-object', '--stdin-paths'], `${present.join('\n')}\n`)
    .trim()
    .split('\n');
  return new Map(present.map((p, i) => [p, blobs[i]!]));
}

/** The fixture folders of the working tree, oldest name first. */
export function fixtureLabels(): string[] {
  return readdirSync(join(ROOT, REPLAY))
    .filter((entry) => statSync(join(ROOT, REPLAY, entry)).isDirectory())
    .sort();
}

/** A commit, or this working tree. */
export type CodeVersion = { commit: string; time: number } | 'worktree';

/**
 * The code a folder was recorded from, by its RECORDED.md: the commit it names, unless it was
 * recorded with uncommitted changes; then the commit that added the folder (the code is
 * committed before or with its fixtures), or the working tree while the folder is not committed.
 */
export function recordedFrom(label: string): CodeVersion {
  const notes = join(ROOT, REPLAY, label, 'RECORDED.md');
  const text = existsSync(notes) ? readFileSync(notes, 'utf8') : '';
  const named = /from the (?:commit|working tree at) ([0-9a-f]{40})/.exec(text)?.[1];
  const commit =
    named && !/uncommitted changes/.test(text)
      ? named
      : git(['log', '--diff-filter=A', '--format=%H', 'HEAD', '--', `${REPLAY}/${label}`])
          .split('\n')
          .filter(Boolean)
          .pop();
  if (commit === undefined) return 'worktree';
  return { commit, time: Number(git(['show', '-s', '--format=%ct', commit]).trim()) };
}

/** The text of every .ts file under `dirs` in a version: repo-relative path → text. */
export function sourcesOf(version: CodeVersion, dirs: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  if (version === 'worktree') {
    for (const dir of dirs)
      for (const entry of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }))
        if (entry.endsWith('.ts'))
          files.set(
            relative(ROOT, join(ROOT, dir, entry)),
            readFileSync(join(ROOT, dir, entry), 'utf8'),
          );
    return files;
  }
  const paths = git(['ls-tree', '-r', '-z', '--name-only', version.commit, '--', ...dirs])
    .split('\0')
    .filter((p) => p.endsWith('.ts'));
  // One git process for all the files: `cat-file --batch` answers "<oid> blob <size>\n<text>\n".
  const out = execFileSync('git', ['-C', ROOT, 'cat-file', '--batch'], {
    input: paths.map((p) => `${version.commit}:${p}\n`).join(''),
    maxBuffer: 256 * 1024 * 1024,
  });
  let at = 0;
  for (const path of paths) {
    const header = out.toString('utf8', at, out.indexOf(10, at));
    const size = Number(header.split(' ')[2]);
    const start = out.indexOf(10, at) + 1;
    files.set(path, out.toString('utf8', start, start + size));
    at = start + size + 1;
  }
  return files;
}
