import { defaultDispatcher } from '../feishu/client.js';
import type { Language } from '../record/words.js';
import type { TargetResult } from '../summary.js';
import { buildDigestCard, type DigestRun } from './card.js';
import { postCard, type PostOptions } from './post.js';

// The group digest (contract v1.1, "Telling the team"): after the records, one card to the
// group's custom bot. It reads the same results as the summary and the outputs, calls
// nothing but the webhook, and never fails the run: a card that cannot be posted warns.

export interface DigestOptions {
  webhook: { url: string; secret: string | undefined };
  dryRun: boolean;
  language: Language;
  run: DigestRun;
  log: { info(message: string): void; warning(message: string): void; group(title: string, text: string): void };
  post?: Omit<PostOptions, 'secret'>;
}

export async function sendDigest(results: readonly TargetResult[], options: DigestOptions): Promise<void> {
  const card = buildDigestCard(results, options.language, options.run);
  if (options.dryRun) {
    options.log.group('Group digest (dry run: not posted)', JSON.stringify(card, null, 2));
    return;
  }
  const delivery = await postCard(options.webhook.url, card, {
    dispatcher: defaultDispatcher(),
    ...options.post,
    secret: options.webhook.secret,
  });
  if (delivery.posted) options.log.info(`Group digest posted: ${results.length} target${results.length === 1 ? '' : 's'}.`);
  else options.log.warning(`The group digest was not posted: ${delivery.reason}. To fix it: ${delivery.fix}. This does not change the run's result.`);
}
