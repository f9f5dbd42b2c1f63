// GitHub allows 30 issue searches a minute (a limit of its own, apart from the hourly one) and
// says in every search answer how many are left and when the minute ends. So searches go one
// after another without a pause while any are left, and when none is, the next one waits for
// the reset: a run of up to 30 searches never waits, and a longer one never hits the limit.
// (The throttling plugin's default instead spaces every search 2 s apart.)

/** The longest a search waits for the reset: the limit's minute, and a second for clocks that differ. */
export const MAX_SEARCH_WAIT_MS = 61_000;

export interface SearchPacing {
  /** Waits this long (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** The time now, in ms since 1970 (default: `Date.now`). */
  now?: () => number;
}

const timer = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `fetch` that holds a REST search back while GitHub says none is left this minute. */
export function pacedSearches(fetch: typeof globalThis.fetch, { sleep = timer, now = Date.now }: SearchPacing = {}): typeof globalThis.fetch {
  let resumeAt = 0;
  return async (input, init) => {
    if (!isSearch(input)) return fetch(input, init);
    const wait = Math.min(resumeAt - now(), MAX_SEARCH_WAIT_MS);
    if (wait > 0) await sleep(wait);
    const response = await fetch(input, init);
    const headers = response.headers;
    if (headers.get('x-ratelimit-resource') === 'search' && headers.get('x-ratelimit-remaining') === '0') {
      // The reset is given in whole seconds; the minute ends within the second after it.
      resumeAt = Number(headers.get('x-ratelimit-reset')) * 1000 + 1000;
    }
    return response;
  };
}

function isSearch(input: Parameters<typeof globalThis.fetch>[0]): boolean {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return new URL(url).pathname.endsWith('/search/issues');
}
