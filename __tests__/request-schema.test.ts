import { describe, expect, it } from '@jest/globals';
import { CreateProgressRecordRequest, UpdateProgressRecordRequest } from '../src/record/request.js';

// A body covering every field of the official create page: styles, colours, lists, links,
// docs, mentions and a gallery.
function validBody(): Record<string, any> {
  return {
    source_title: '测试周报系统',
    source_url: 'https://www.example.com/',
    source_url_pc: 'https://www.example.com/pc',
    source_url_mobile: 'http://m.example.com/',
    target_id: '7043693679567028244',
    target_type: 2,
    content: {
      blocks: [
        {
          type: 'paragraph',
          paragraph: {
            elements: [
              { type: 'textRun', textRun: { text: '粗体验证', style: { bold: true } } },
              {
                type: 'textRun',
                textRun: {
                  text: '粗体+删除+字体颜色+背景颜色验证',
                  style: {
                    bold: true,
                    strikeThrough: true,
                    backColor: { red: 251, green: 191, blue: 188, alpha: 1 },
                    textColor: { red: 216, green: 57, blue: 49, alpha: 0.1 },
                    link: { url: 'https://example.cn/docx/doxcnO2Wkq0YPZQYLuJKyyOvLrh#doxcnSOui82swqk6c0o436Ak3nc' },
                  },
                },
              },
              { type: 'textRun', textRun: { text: '无样式', style: {} } },
              { type: 'docsLink', docsLink: { url: 'https://xxx.feishu.cn/docx/xxxxxxxx', title: '项目说明文档' } },
              { type: 'person', person: { openId: 'ou_3bbe8a09c20e89cce9bff989ed840674' } },
            ],
            style: { list: { type: 'number', indentLevel: 1, number: 1 } },
          },
        },
        { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'x' } }], style: { list: { type: 'bullet', indentLevel: 16 } } } },
        { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'x' } }], style: { list: { type: 'checkBox', indentLevel: 1 } } } },
        { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'x' } }], style: { list: { type: 'checkedBox' } } } },
        { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'x' } }], style: { list: { type: 'indent', indentLevel: 2 } } } },
        {
          type: 'gallery',
          gallery: {
            imageList: [{ fileToken: 'boxbcMTBQO9ofLjWkDuPxkxOA2c', src: 'https://example.com/drive/home/', width: 458, height: 372.5 }],
          },
        },
      ],
    },
    progress_rate: { percent: 50.21, status: 0 },
  };
}

type Body = ReturnType<typeof validBody>;
const firstElement = (b: Body): Record<string, any> => b.content.blocks[0].paragraph.elements[1];
const firstStyle = (b: Body): Record<string, any> => firstElement(b).textRun.style;

/** Parses a changed copy of the valid body and returns the paths of the problems. */
function problems(change: (b: Body) => void): string[] {
  const body = validBody();
  change(body);
  const result = CreateProgressRecordRequest.safeParse(body);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

const ELEMENT = 'content.blocks.0.paragraph.elements.1';
const STYLE = `${ELEMENT}.textRun.style`;
const LIST = 'content.blocks.0.paragraph.style.list';

describe('CreateProgressRecordRequest', () => {
  it('accepts a body that uses every documented field', () => {
    expect(CreateProgressRecordRequest.safeParse(validBody()).success).toBe(true);
  });

  it('accepts the required fields alone', () => {
    const body = { source_title: 'GitHub', source_url: 'https://github.com/', target_id: '1', target_type: 3, content: {} };
    expect(CreateProgressRecordRequest.parse(body)).toEqual(body);
  });

  it('accepts percents with up to two decimals across the whole range', () => {
    for (const percent of [0, 0.29, 0.07, 33.33, 62.5, 100, -12.34, 99999999999, -99999999999, 1234567.89]) {
      expect(problems((b) => (b.progress_rate.percent = percent))).toEqual([]);
    }
  });

  it.each<[string, (b: Body) => void, string]>([
    ['a missing source_title', (b) => delete b.source_title, 'source_title'],
    ['an empty source_title', (b) => (b.source_title = ''), 'source_title'],
    ['a missing source_url', (b) => delete b.source_url, 'source_url'],
    ['a source_url without scheme', (b) => (b.source_url = 'www.example.com'), 'source_url'],
    ['an ftp source_url', (b) => (b.source_url = 'ftp://example.com/'), 'source_url'],
    ['a javascript: source_url', (b) => (b.source_url = 'javascript:alert(1)'), 'source_url'],
    ['a source_url with a line break', (b) => (b.source_url = 'https://example.com/\nx'), 'source_url'],
    ['a source_url_pc without scheme', (b) => (b.source_url_pc = 'open.feishu.cn'), 'source_url_pc'],
    ['a bad source_url_mobile', (b) => (b.source_url_mobile = 'mailto:a@b.c'), 'source_url_mobile'],
    ['a target_id with letters', (b) => (b.target_id = '70436936795670282x4'), 'target_id'],
    ['an empty target_id', (b) => (b.target_id = ''), 'target_id'],
    ['a numeric target_id', (b) => (b.target_id = 7043693679567028), 'target_id'],
    ['target_type 1', (b) => (b.target_type = 1), 'target_type'],
    ['target_type 4', (b) => (b.target_type = 4), 'target_type'],
    ['target_type "2"', (b) => (b.target_type = '2'), 'target_type'],
    ['a missing content', (b) => delete b.content, 'content'],
    ['a percent with three decimals', (b) => (b.progress_rate.percent = 50.215), 'progress_rate.percent'],
    ['a percent of 0.001', (b) => (b.progress_rate.percent = 0.001), 'progress_rate.percent'],
    ['a percent above the range', (b) => (b.progress_rate.percent = 100000000000), 'progress_rate.percent'],
    ['a percent below the range', (b) => (b.progress_rate.percent = -100000000000), 'progress_rate.percent'],
    ['a percent that is not a number', (b) => (b.progress_rate.percent = NaN), 'progress_rate.percent'],
    ['a percent as text', (b) => (b.progress_rate.percent = '50'), 'progress_rate.percent'],
    ['status 3', (b) => (b.progress_rate.status = 3), 'progress_rate.status'],
    ['status -2', (b) => (b.progress_rate.status = -2), 'progress_rate.status'],
    ['status "0"', (b) => (b.progress_rate.status = '0'), 'progress_rate.status'],
    ['an unknown key in progress_rate', (b) => (b.progress_rate.progress_percent = 50), 'progress_rate'],
    ['indentLevel 17', (b) => (b.content.blocks[0].paragraph.style.list.indentLevel = 17), `${LIST}.indentLevel`],
    ['indentLevel 0', (b) => (b.content.blocks[0].paragraph.style.list.indentLevel = 0), `${LIST}.indentLevel`],
    ['indentLevel 1.5', (b) => (b.content.blocks[0].paragraph.style.list.indentLevel = 1.5), `${LIST}.indentLevel`],
    ['a list number 1.5', (b) => (b.content.blocks[0].paragraph.style.list.number = 1.5), `${LIST}.number`],
    ['an unknown list type', (b) => (b.content.blocks[0].paragraph.style.list.type = 'todo'), `${LIST}.type`],
    ['the v2 spelling indent_level', (b) => (b.content.blocks[0].paragraph.style.list.indent_level = 1), LIST],
    ['red 256', (b) => (firstStyle(b).textColor.red = 256), `${STYLE}.textColor.red`],
    ['green -1', (b) => (firstStyle(b).textColor.green = -1), `${STYLE}.textColor.green`],
    ['blue 1.5', (b) => (firstStyle(b).backColor.blue = 1.5), `${STYLE}.backColor.blue`],
    ['alpha 1.1', (b) => (firstStyle(b).backColor.alpha = 1.1), `${STYLE}.backColor.alpha`],
    ['a colour without alpha', (b) => delete firstStyle(b).textColor.alpha, `${STYLE}.textColor.alpha`],
    ['bold as text', (b) => (firstStyle(b).bold = 'true'), `${STYLE}.bold`],
    ['an unknown style key', (b) => (firstStyle(b).italic = true), STYLE],
    ['the v2 spelling strike_through', (b) => (firstStyle(b).strike_through = true), STYLE],
    ['a javascript: link', (b) => (firstStyle(b).link.url = 'javascript:alert(1)'), `${STYLE}.link.url`],
    ['a link without url', (b) => (firstStyle(b).link = {}), `${STYLE}.link.url`],
    ['an empty text run', (b) => (firstElement(b).textRun.text = ''), `${ELEMENT}.textRun.text`],
    ['a text run without text', (b) => delete firstElement(b).textRun.text, `${ELEMENT}.textRun.text`],
    ['an unknown key in a text run', (b) => (firstElement(b).textRun.url = 'https://a.b/'), `${ELEMENT}.textRun`],
    ['an element of type person carrying a textRun', (b) => (firstElement(b).type = 'person'), `${ELEMENT}.person`],
    [
      'an element carrying a second object',
      (b) => (firstElement(b).person = { openId: 'ou_1' }),
      ELEMENT,
    ],
    ['an element without type', (b) => delete firstElement(b).type, `${ELEMENT}.type`],
    ['an unknown element type', (b) => (firstElement(b).type = 'mention'), `${ELEMENT}.type`],
    ['the v2 spelling text_run', (b) => (b.content.blocks[0].paragraph.elements[1] = { type: 'textRun', text_run: { text: 'x' } }), `${ELEMENT}.textRun`],
    ['a docsLink with a bad url', (b) => (b.content.blocks[0].paragraph.elements[3].docsLink.url = 'feishu.cn/docx/x'), 'content.blocks.0.paragraph.elements.3.docsLink.url'],
    ['a person without openId', (b) => (b.content.blocks[0].paragraph.elements[4].person = {}), 'content.blocks.0.paragraph.elements.4.person.openId'],
    ['a paragraph block carrying a gallery', (b) => (b.content.blocks[5].type = 'paragraph'), 'content.blocks.5.paragraph'],
    ['an unknown block type', (b) => (b.content.blocks[1].type = 'table'), 'content.blocks.1.type'],
    ['an unknown paragraph key', (b) => (b.content.blocks[1].paragraph.align = 'center'), 'content.blocks.1.paragraph'],
    ['an unknown paragraph style key', (b) => (b.content.blocks[1].paragraph.style.quote = true), 'content.blocks.1.paragraph.style'],
    ['an empty gallery', (b) => (b.content.blocks[5].gallery.imageList = []), 'content.blocks.5.gallery.imageList'],
    ['an image of width 0', (b) => (b.content.blocks[5].gallery.imageList[0].width = 0), 'content.blocks.5.gallery.imageList.0.width'],
    ['the v2 spelling file_token', (b) => (b.content.blocks[5].gallery.imageList[0].file_token = 'x'), 'content.blocks.5.gallery.imageList.0'],
    ['an unknown content key', (b) => (b.content.title = 'x'), 'content'],
    ['an unknown top-level key', (b) => (b.user_id_type = 'open_id'), ''],
  ])('rejects %s', (_name, change, path) => {
    expect(problems(change)).toContain(path);
  });

  it('names the unknown key it rejects', () => {
    const result = CreateProgressRecordRequest.safeParse({ ...validBody(), extra: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['extra'], path: [] })]);
  });
});

describe('UpdateProgressRecordRequest', () => {
  const content = { blocks: [{ type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'x' } }] } }] };

  it('accepts content with or without progress_rate', () => {
    expect(UpdateProgressRecordRequest.safeParse({ content }).success).toBe(true);
    expect(UpdateProgressRecordRequest.safeParse({ content, progress_rate: { percent: 12.5, status: 1 } }).success).toBe(true);
  });

  it('requires content', () => {
    const result = UpdateProgressRecordRequest.safeParse({ progress_rate: { percent: 12.5, status: 1 } });
    expect(result.error?.issues.map((i) => i.path)).toEqual([['content']]);
  });

  it('rejects the fields that only the create call takes', () => {
    const result = UpdateProgressRecordRequest.safeParse({ content, source_title: 'GitHub' });
    expect(result.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['source_title'] })]);
  });
});
