// Feishu v1 rich text as plain lines, the way the OKR page shows it: for the demo and for
// assertions that read like the record.

interface Element {
  type?: string;
  textRun?: { text?: string; style?: { strikeThrough?: boolean; link?: { url?: string } } };
  docsLink?: { url?: string; title?: string };
  person?: { openId?: string };
}
interface Block {
  type?: string;
  paragraph?: { elements?: Element[]; style?: { list?: { type?: string } } };
  gallery?: { imageList?: { fileToken?: string }[] };
}

const MARKS: Record<string, string> = { checkedBox: '☑ ', checkBox: '☐ ', bullet: '• ', number: '1. ', indent: '  ' };

function renderElement(element: Element): string {
  if (element.type === 'textRun') {
    const text = element.textRun?.text ?? '';
    return element.textRun?.style?.strikeThrough ? `~~${text}~~` : text;
  }
  if (element.type === 'docsLink') return `[${element.docsLink?.title ?? ''}](${element.docsLink?.url ?? ''})`;
  if (element.type === 'person') return `@<${element.person?.openId ?? ''}>`;
  return '';
}

export function renderContent(content: { blocks?: Block[] } | undefined): string {
  return (content?.blocks ?? [])
    .map((block) => {
      if (block.type === 'gallery') return `[image ${block.gallery?.imageList?.map((i) => i.fileToken).join(', ')}]`;
      const list = block.paragraph?.style?.list?.type;
      const mark = list ? `  ${MARKS[list] ?? ''}` : '';
      return mark + (block.paragraph?.elements ?? []).map(renderElement).join('');
    })
    .join('\n');
}
