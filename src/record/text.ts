// Titles come from anyone who can open an issue: they are reduced to plain, single-line,
// visible text before they reach a record.

export const MAX_TITLE_LENGTH = 200;
export const UNTITLED = '(untitled)';

// Control characters (C0, DEL, C1) other than the white-space ones folded below, bidi
// controls and zero-width characters (they can reorder or hide text), and unpaired surrogates.
const INVISIBLE =
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// JavaScript's \s plus NEL (U+0085), the one Unicode space it leaves out.
const WHITE_SPACE = /[\s\u0085]+/g;

/** A title made safe to show: visible characters only, one line, at most 200 characters. */
export function cleanTitle(s: string): string {
  const folded = s.replace(INVISIBLE, '').replace(WHITE_SPACE, ' ').trim();
  if (folded === '') return UNTITLED;
  // Code points, so a surrogate pair (an emoji, say) is never split.
  const chars = Array.from(folded);
  if (chars.length <= MAX_TITLE_LENGTH) return folded;
  return `${chars.slice(0, MAX_TITLE_LENGTH - 1).join('').trimEnd()}…`;
}

/**
 * How an item is named in a list: #123 in the target's own repository, owner/name#123 in
 * another one (a query may span repositories).
 */
export function itemReference(item: { number: number; url: string }, repository: string | undefined): string {
  const own = /^https?:\/\/[^/]+\/([^/]+\/[^/]+)\/(?:issues|pull)\/\d+$/.exec(item.url)?.[1];
  return own && repository && own.toLowerCase() !== repository.toLowerCase() ? `${own}#${item.number}` : `#${item.number}`;
}
