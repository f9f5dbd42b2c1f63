import type { ContentBlock, CreateProgressRecordRequest, ParagraphElement, RecordContent } from './request.js';

// A record as plain text, the way the OKR page shows it: the headline, ☑ / ☐ items with their
// links, the figures, the footer. What a dry run prints, so a person can read what would be
// written. Pure: the same record always gives the same text.


// Feishu's names of the progress statuses.
const STATUS_NAMES: Record<number, string> = { [-1]: 'none', 0: 'normal', 1: 'at risk', 2: 'delayed' };

const MARKS: Record<string, string> = { checkedBox: '☑ ', checkBox: '☐ ', bullet: '• ', number: '1. ', indent: '  ' };

/** The text of an element; struck text is wrapped in ~~ (its leading space left outside), a mention shows its open_id. */
function element(e: ParagraphElement): string {
  switch (e.type) {
    case 'textRun': {
      const { text, style } = e.textRun;
      if (!style?.strikeThrough) return text;
      const lead = /^\s*/.exec(text)![0];
      return `${lead}~~${text.slice(lead.length)}~~`;
    }
    case 'docsLink':
      return e.docsLink.title ?? 'document';
    case 'person':
      return `@${e.person.openId}`;
    default:
      return '';
  }
}

/** Where an element links to, if anywhere. */
function linkOf(e: ParagraphElement): string | undefined {
  if (e.type === 'textRun') return e.textRun.style?.link?.url;
  if (e.type === 'docsLink') return e.docsLink.url;
  return undefined;
}

/** A paragraph as one line: its text, then the addresses it links to in angle brackets. */
function block(b: ContentBlock): string {
  if (b.type === 'gallery') return `[image: ${b.gallery.imageList.length === 1 ? 'the burn-up chart' : `${b.gallery.imageList.length} images`}]`;
  const elements = b.paragraph.elements ?? [];
  const links = [...new Set(elements.map(linkOf).filter((url): url is string => url !== undefined))];
  const list = b.paragraph.style?.list?.type;
  const line = `${list ? `  ${MARKS[list] ?? ''}` : ''}${elements.map(element).join('')}`;
  return links.length ? `${line}  ${links.map((url) => `<${url}>`).join(' ')}` : line;
}

/** The content of a record as lines of text. */
export function renderRecordContent(content: RecordContent): string {
  return (content.blocks ?? []).map(block).join('\n');
}

/** A whole create request: where it goes and the progress it sets, then the record as the OKR page shows it. */
export function renderRecord(request: CreateProgressRecordRequest): string {
  const kind = request.target_type === 3 ? 'key result' : 'objective';
  const rate = request.progress_rate;
  const status = rate?.status === undefined ? '–' : `${STATUS_NAMES[rate.status] ?? 'unknown'} (${rate.status})`;
  const head = `To ${kind} ${request.target_id}: progress ${rate?.percent ?? '–'}%, status ${status}; source "${request.source_title}"  <${request.source_url}>`;
  return `${head}\n\n${renderRecordContent(request.content)}`;
}
