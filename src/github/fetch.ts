// The fetch that octokit is given. @octokit/request reads a body that breaks off, stalls
// past the request clock, or never came as "" (and a list page as [] with its Link to the
// next page still there), so a list would silently lose a page. Here the whole body of a
// successful answer is read inside the request clock first; an answer that did not arrive
// whole in time throws, which @octokit/request turns into an error of status 500: the retry
// plugin asks again, as for a 5xx, and the target fails if it never comes whole.

/** The time a GitHub answer may take, body included, before it counts as failed. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** An answer that did not arrive whole within the request clock. */
export class IncompleteAnswer extends Error {
  override name = 'IncompleteAnswer';
}

/**
 * `fetch` with a fresh clock (`clock()`, a signal that aborts when time is up) on every
 * call, retries and pages included (a signal set on the request options would be spent after
 * the first attempt), that hands back a successful answer only once its body is whole.
 */
export function wholeBodyFetch(fetch: typeof globalThis.fetch, clock: () => AbortSignal = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS)): typeof globalThis.fetch {
  return async (input, init) => {
    const timeout = clock();
    const asked = `GitHub's answer to ${init?.method ?? 'GET'} ${pathOf(input)}`;
    let response: Response;
    try {
      response = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    } catch (error) {
      if (timeout.aborted) throw new IncompleteAnswer(`${asked} did not come within the ${REQUEST_TIMEOUT_MS / 1000} s request clock`);
      throw error;
    }
    // An error answer keeps its body as it comes: octokit only takes a message from it.
    if (response.status < 200 || response.status > 299 || response.status === 204 || response.status === 205 || init?.method === 'HEAD') return response;
    const chunks: Uint8Array[] = [];
    let received = 0;
    try {
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          chunks.push(chunk);
          received += chunk.byteLength;
        }
      }
    } catch (error) {
      if (timeout.aborted) throw new IncompleteAnswer(`${asked} stalled: ${received} bytes came, then nothing more within the ${REQUEST_TIMEOUT_MS / 1000} s request clock`);
      throw new IncompleteAnswer(`${asked} broke off after ${received} bytes (${causeOf(error)})`);
    }
    const body = Buffer.concat(chunks);
    if (/[/+]json\b/i.test(response.headers.get('content-type') ?? '')) {
      const first = body.findIndex((byte) => !WHITESPACE.has(byte));
      if (first < 0) throw new IncompleteAnswer(`${asked} came with HTTP ${response.status} and an empty body where JSON was expected`);
      // A cheap test of wholeness, on the bytes, that spares decoding and parsing every page
      // twice: a body cut where the framing still looked complete rarely ends with the
      // bracket it began with (and when it does, octokit's parse fails and the list is
      // refused as malformed).
      let last = body.byteLength - 1;
      while (WHITESPACE.has(body[last]!)) last -= 1;
      if (BRACKETS[body[first]!] !== body[last]) throw new IncompleteAnswer(`${asked} came with HTTP ${response.status} and ${body.byteLength} bytes that are not whole JSON`);
    }
    const whole = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    // octokit reports the answer's URL (paginate reads it too); a Response built here has none.
    Object.defineProperty(whole, 'url', { value: response.url });
    return whole;
  };
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** The closing bracket of each opening one, by byte. */
const BRACKETS: Record<number, number> = { 0x5b: 0x5d, 0x7b: 0x7d };

function pathOf(input: Parameters<typeof globalThis.fetch>[0]): string {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  return url.pathname + url.search;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  // Errors of Node's own fetch may come from another realm than this code's Error.
  const text = (e: unknown): string => (typeof (e as { message?: unknown })?.message === 'string' ? (e as { message: string }).message : String(e));
  return cause ? `${text(error)}: ${text(cause)}` : text(error);
}
