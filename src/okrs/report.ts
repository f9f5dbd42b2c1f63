import { escapeHtml } from '../summary.js';
import { cleanTitle } from '../record/text.js';
import { closestSelectable, type ListedUser, type Selectable } from './starter.js';

// list-okrs, what it shows: the same listing as plain text for the log and as Markdown for
// the job summary. Texts come from Feishu and are cleaned (one line, visible characters)
// and, in the summary, escaped so that none can add markup or mention anyone.

export interface Listing {
  repository: string;
  periodName: string;
  /** e.g. 2026-10-01 → 2026-12-31 */
  periodDates: string;
  asOf: Date;
  users: readonly ListedUser[];
  failures: readonly { input: string; error: string }[];
  selectables: readonly Selectable[];
  /** The starter mapping file (YAML). */
  starter: string;
}

const textOf = (content: string): string => (content ? cleanTitle(content) : '(its text is not visible to the app)');

function pairing(content: string, selectables: readonly Selectable[]): Selectable | undefined {
  return content ? closestSelectable(content, selectables) : undefined;
}

const who = (user: ListedUser): string => (user.input === user.id ? user.id : `${cleanTitle(user.input)} (${user.id})`);

/** The listing for the log, one line per objective and key result. */
export function listingText(listing: Listing): string {
  const lines = [`OKRs of ${cleanTitle(listing.periodName)} (${listing.periodDates}), as of ${listing.asOf.toISOString()}; nothing is written to Feishu.`];
  for (const user of listing.users) {
    lines.push('', `${who(user)}:`);
    if (user.objectives.length === 0) lines.push('  no OKRs in this period');
    for (const objective of user.objectives) {
      lines.push(`  Objective ${objective.id}: ${textOf(objective.content)}`);
      for (const kr of objective.keyResults) {
        const match = pairing(kr.content, listing.selectables);
        lines.push(`    Key result ${kr.id}: ${textOf(kr.content)}${match ? ` → ${match.kind} ${match.title}` : ''}`);
      }
    }
  }
  for (const failure of listing.failures) lines.push('', `${cleanTitle(failure.input)}: failed: ${failure.error}`);
  lines.push('', `Starter mapping file for ${listing.repository}:`, listing.starter.trimEnd());
  return lines.join('\n');
}

/** The job summary: users and their OKRs with ids, failures, then the starter file to paste. */
export function listingSummary(listing: Listing): string {
  const parts = [
    `## OKRs of ${escapeHtml(cleanTitle(listing.periodName))} (${escapeHtml(listing.periodDates)})`,
    `Listed as of ${escapeHtml(listing.asOf.toISOString())}; nothing was written to Feishu.`,
  ];
  for (const user of listing.users) {
    const items: string[] = [];
    for (const objective of user.objectives) {
      items.push(`- Objective \`${objective.id}\`: ${escapeHtml(textOf(objective.content))}`);
      for (const kr of objective.keyResults) {
        const match = pairing(kr.content, listing.selectables);
        const paired = match ? ` → ${match.kind} <code>${escapeHtml(match.title)}</code>` : '';
        items.push(`  - Key result \`${kr.id}\`: ${escapeHtml(textOf(kr.content))}${paired}`);
      }
    }
    parts.push(`### ${user.input === user.id ? `\`${user.id}\`` : `${escapeHtml(cleanTitle(user.input))} (\`${user.id}\`)`}`, items.length ? items.join('\n') : 'No OKRs in this period.');
  }
  if (listing.failures.length) {
    parts.push('### Failed', listing.failures.map((f) => `- ${escapeHtml(cleanTitle(f.input))}: ${escapeHtml(f.error)}`).join('\n'));
  }
  parts.push(
    '### Starter mapping file',
    `Each key result is paired with the open milestone or label of ${escapeHtml(listing.repository)} whose title it names. Save this as \`.github/okr-progress.yml\`, check each pairing and finish the commented targets.`,
    `\`\`\`yaml\n${listing.starter.trimEnd()}\n\`\`\``,
  );
  return `${parts.join('\n\n')}\n`;
}

/** The job summary of a listing that stopped before any user: why. */
export function listingFailure(error: string): string {
  return `## OKRs (list-okrs)\n\nNothing was listed: ${escapeHtml(error)}\n`;
}
