// Every page of a REST list, and a proof that it ended: GitHub's Link header alone says
// where the next page is, so a Link that leads back to a page already read would read the
// same pages forever, and a list that never ends would hold the job. Either stops the list
// with an error, as a list that came back in another shape does.

/** The most pages one list may take: 100,000 items at 100 a page, ten times the largest list a run is sized for. */
export const MAX_PAGES = 1000;

/** What the list needs of each page's answer. */
export interface Page {
  data: unknown;
  headers: { link?: string };
}

/** A list that could not be read to its end; the target it was for fails. */
export class ListingError extends Error {
  override name = 'ListingError';
}

/** The next page's URL, as octokit's paginate finds it, so that both agree on where the list goes. */
export function nextPageUrl(link: string | undefined): string | undefined {
  return /<([^<>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
}

/** A page's URL as one key: its parameters in order, and `page=1` where none is given. */
function pageKey(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('page')) parsed.searchParams.set('page', '1');
  parsed.searchParams.sort();
  return parsed.href;
}

const pageName = (url: string): string => {
  const page = new URL(url).searchParams.get('page');
  return page === null ? url : `page ${page}`;
};

/**
 * The items of every page of `pages` (octokit's `paginate.iterator`), each page read into
 * items by `read` as it arrives; `firstUrl` is the first page's. `list` names the list in
 * errors, e.g. `GitHub's list of the milestones of acme/widgets`.
 */
export async function readPages<T>(pages: AsyncIterable<Page>, firstUrl: string, list: string, read: (data: unknown[]) => T[], maxPages = MAX_PAGES): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set([pageKey(firstUrl)]);
  let count = 0;
  for await (const page of pages) {
    count += 1;
    if (!Array.isArray(page.data)) throw new ListingError(`${list}: page ${count} came as ${typeof page.data}, not a list. The number was not written.`);
    items.push(...read(page.data));
    const next = nextPageUrl(page.headers.link);
    if (next === undefined) return items;
    if (seen.has(pageKey(next))) {
      throw new ListingError(`${list} links its next page to ${pageName(next)}, a page already read, after ${count} pages; the list was not read to its end. The number was not written.`);
    }
    if (count >= maxPages) throw new ListingError(`${list} goes on past ${maxPages} pages; the list was not read to its end. The number was not written.`);
    seen.add(pageKey(next));
  }
  return items;
}
