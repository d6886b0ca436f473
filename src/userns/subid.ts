/**
 * `/etc/subuid` and `/etc/subgid`: the subordinate ID ranges each user may map into a user namespace through
 * the setuid `newuidmap`/`newgidmap` (shadow's format: `OWNER:START:COUNT` per line, OWNER a login name or a
 * numeric uid, `#` comments and blank lines ignored).
 */
import { IdMapError } from './types.js';

/** One line of a subordinate ID file: `owner` may use `count` IDs from `start`. */
export interface SubordinateRange {
  readonly owner: string;
  readonly start: number;
  readonly count: number;
  /** 1-based line number in the file. */
  readonly line: number;
}

/** A line that is not a valid range, with why. */
export interface SubordinateProblem {
  readonly line: number;
  readonly reason: string;
}

/** The parsed file: the valid ranges in file order and every bad line. */
export interface SubordinateFile {
  readonly ranges: readonly SubordinateRange[];
  readonly problems: readonly SubordinateProblem[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const LIMIT = 2 ** 32;

/**
 * Parses the text of `/etc/subuid` or `/etc/subgid`. Bad lines are collected in `problems` (with their line
 * numbers) rather than thrown, since shadow's tools skip them too; {@link parseSubordinateStrict} refuses them.
 */
export function parseSubordinateIds(text: string): SubordinateFile {
  const ranges: SubordinateRange[] = [];
  const problems: SubordinateProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, '').trim();
    if (content === '' || content.startsWith('#')) return;
    const fields = content.split(':');
    if (fields.length !== 3) {
      problems.push({ line, reason: `expected OWNER:START:COUNT, found ${fields.length} field${fields.length === 1 ? '' : 's'}` });
      return;
    }
    const [owner, startText, countText] = fields as [string, string, string];
    if (owner === '' || /\s/.test(owner)) {
      problems.push({ line, reason: owner === '' ? 'empty owner' : 'owner contains white space' });
      return;
    }
    if (!DECIMAL.test(startText)) {
      problems.push({ line, reason: `start "${clip(startText)}" is not a decimal number` });
      return;
    }
    if (!DECIMAL.test(countText)) {
      problems.push({ line, reason: `count "${clip(countText)}" is not a decimal number` });
      return;
    }
    const start = Number(startText);
    const count = Number(countText);
    if (count === 0) {
      problems.push({ line, reason: 'count is 0' });
      return;
    }
    if (start + count > LIMIT - 1) {
      problems.push({ line, reason: `range ${startText}+${countText} goes past 4294967294, the largest ID` });
      return;
    }
    ranges.push({ owner, start, count, line });
  });
  return { ranges, problems };
}

/** Like {@link parseSubordinateIds} but throws an {@link IdMapError} naming `file` and the first bad line. */
export function parseSubordinateStrict(text: string, file: string): readonly SubordinateRange[] {
  const parsed = parseSubordinateIds(text);
  const bad = parsed.problems[0];
  if (bad !== undefined) throw new IdMapError(`${file}:${bad.line}`, bad.reason);
  return parsed.ranges;
}

/** A user as subordinate files name one: by login name, by numeric uid, or both. */
export interface SubordinateUser {
  readonly name?: string;
  readonly uid?: number;
}

/** The ranges that belong to `user` (lines naming its login name or its uid as a number), in file order. */
export function rangesOf(ranges: readonly SubordinateRange[], user: SubordinateUser): readonly SubordinateRange[] {
  return ranges.filter((r) => (user.name !== undefined && r.owner === user.name) || (user.uid !== undefined && r.owner === String(user.uid)));
}

function clip(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}
