import { stringify } from 'yaml';
import { editDistance } from '../config/closest.js';
import { MAPPING_SCHEMA_URL } from '../config/json-schema.js';
import type { ObjectiveText } from '../feishu/okrs.js';
import { cleanTitle } from '../record/text.js';

// list-okrs, the pure part: which open milestone or label a key result's text names, and the
// starter mapping file that pairs them. The same input always gives the same file.

/** An open milestone or a label of the workflow's repository. */
export interface Selectable {
  kind: 'milestone' | 'label';
  title: string;
}

/** Words and version numbers, lower case, a plural "s" dropped: "Close all v1.0 issues." → close, all, v1.0, issue. */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}.]+/u)
    .map((w) => w.replace(/^\.+|\.+$/g, ''))
    .filter(Boolean)
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

/** A word of a title found among the text's: exactly, or with one typo for words of 5 letters or more. */
function found(word: string, among: readonly string[]): boolean {
  return among.some((w) => w === word || (word.length >= 5 && w.length >= 5 && editDistance(word, w) <= 1));
}

/** The title as it stands in the text, not inside a longer word (titles without spaces, CJK ones too). */
function standsIn(title: string, text: string): boolean {
  const wanted = title.toLowerCase();
  const at = text.toLowerCase().indexOf(wanted);
  if (wanted.length < 2 || at < 0) return false;
  const asciiWord = /[a-z0-9]/;
  const before = text[at - 1]?.toLowerCase() ?? ' ';
  const after = text[at + wanted.length]?.toLowerCase() ?? ' ';
  return !(asciiWord.test(wanted[0]!) && asciiWord.test(before)) && !(asciiWord.test(wanted.at(-1)!) && asciiWord.test(after));
}

/**
 * The milestone or label whose title the key result's text names: every word of the title
 * is in the text (or the whole title stands in it). Of several, the longest title wins (the
 * most specific), then a milestone over a label, then the given order. None: undefined.
 */
export function closestSelectable(text: string, candidates: readonly Selectable[]): Selectable | undefined {
  const textWords = words(text);
  let best: { candidate: Selectable; score: number; rank: number } | undefined;
  candidates.forEach((candidate, rank) => {
    const titleWords = words(candidate.title);
    const matches = standsIn(candidate.title, text) || (titleWords.length > 0 && titleWords.every((w) => found(w, textWords)));
    if (!matches) return;
    const score = titleWords.join('').length * 2 + (candidate.kind === 'milestone' ? 1 : 0);
    if (!best || score > best.score || (score === best.score && rank < best.rank)) best = { candidate, score, rank };
  });
  return best?.candidate;
}

/** Whose OKRs were listed: the input as typed and the id the listing used. */
export interface ListedUser {
  input: string;
  /** open_id (ou_…) or user_id. */
  id: string;
  objectives: ObjectiveText[];
}

export interface StarterInput {
  repository: string;
  periodName: string;
  users: readonly ListedUser[];
  selectables: readonly Selectable[];
}

/** One line of YAML for a scalar, quoted where YAML needs it. */
const scalar = (value: string): string => stringify(value, { lineWidth: 0 }).trimEnd();

/** At most 200 characters (the mapping's limit for a name), one line. */
const nameOf = (content: string): string => cleanTitle(content);

/**
 * The starter mapping file: one target per key result that names an open milestone or label
 * of the repository; the others (and objectives without key results) as comments to finish
 * by hand. It passes the action's own parser whenever at least one target is paired.
 */
export function starterMapping(input: StarterInput): string {
  const lines = [
    `# yaml-language-server: $schema=${MAPPING_SCHEMA_URL}`,
    `# Starter mapping for ${input.repository} from the OKRs of ${cleanTitle(input.periodName)} (made by list-okrs).`,
    '# Each key result is paired with the open milestone or label of the repository whose title it names;',
    '# check each pairing, finish the commented ones, and save the file as .github/okr-progress.yml.',
    'version: 1',
  ];
  const openIds = input.users.filter((u) => /^ou_\w+$/.test(u.id));
  if (openIds.length) {
    lines.push('# people:                 # GitHub login → Feishu open_id, to @mention authors in the records');
    for (const user of openIds) lines.push(`#   your-github-login: ${user.id}${user.input === user.id ? '' : `   # ${cleanTitle(user.input)}`}`);
  }
  lines.push('targets:');
  const usedNames = new Set<string>();
  let paired = 0;
  const unique = (name: string): string => {
    let candidate = name;
    for (let n = 2; usedNames.has(candidate); n++) candidate = `${name.slice(0, 190)} (${n})`;
    usedNames.add(candidate);
    return candidate;
  };
  for (const user of input.users) {
    for (const objective of user.objectives) {
      const objectiveText = objective.content ? cleanTitle(objective.content) : '(its text is not visible to the app)';
      lines.push(`  # ${cleanTitle(user.input)} · objective ${objective.id}: ${objectiveText}`);
      const entries = objective.keyResults.length
        ? objective.keyResults.map((kr) => ({ key: 'key_result', id: kr.id, content: kr.content }))
        : [{ key: 'objective', id: objective.id, content: objective.content }];
      for (const entry of entries) {
        const text = entry.content || entry.id;
        const match = closestSelectable(entry.content, input.selectables);
        const body = [
          `- name: ${scalar(unique(nameOf(text)))}`,
          `  ${entry.key}: ${JSON.stringify(entry.id)}`,
          match ? `  ${match.kind === 'milestone' ? 'milestone' : 'labels'}: ${match.kind === 'milestone' ? scalar(match.title) : `[${scalar(match.title)}]`}` : '',
        ].filter(Boolean);
        if (match) {
          paired++;
          lines.push(...body.map((l) => `  ${l}`));
        } else {
          lines.push(...body.map((l) => `  # ${l}`));
          lines.push(`  #   (nothing close among the open milestones and labels of ${input.repository}: add milestone: or labels:)`);
        }
      }
    }
  }
  if (paired === 0) lines.push('  # No key result names an open milestone or label: uncomment a target above and add its milestone or labels.');
  return `${lines.join('\n')}\n`;
}
