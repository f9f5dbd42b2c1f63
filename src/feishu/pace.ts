// Feishu limits each API to a number of requests per minute and app. Counting our own
// requests per endpoint over a rolling window keeps the action under that limit instead of
// running into 429s.

export class Pacer {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`The request limit must be a whole number of at least 1, not ${limit}`);
    if (!(windowMs > 0)) throw new Error(`The rate window must be a positive number of milliseconds, not ${windowMs}`);
  }

  /**
   * Takes a slot for one request to `endpoint` and returns 0, or, when the window is full,
   * takes nothing and returns how many ms to wait before asking again.
   */
  reserve(endpoint: string): number {
    const now = this.now();
    const recent = (this.sent.get(endpoint) ?? []).filter((time) => time > now - this.windowMs);
    this.sent.set(endpoint, recent);
    const oldest = recent[0];
    if (oldest !== undefined && recent.length >= this.limit) return oldest + this.windowMs - now;
    recent.push(now);
    return 0;
  }
}
