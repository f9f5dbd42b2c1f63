import * as core from '@actions/core';

// Every secret the run knows, in one place. The runner masks the exact text of what
// core.setSecret was given in its log, but a server that echoes a secret may quote it in
// another form (inside JSON, in a URL, as HTML), and the outputs and the job summary are not
// masked at all: everything the action publishes from a server's words passes redact() first.

const MASK = '***';

// A secret this short would mask ordinary words; no credential Feishu or GitHub hands out is.
const MIN_LENGTH = 4;

function htmlEscaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The forms in which a secret may come back: as given, inside a JSON string, URL-encoded, HTML-escaped. */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const url = encodeURIComponent(secret);
  // Forms post spaces as "+"; some servers echo them so.
  const form = url.replace(/%20/g, '+');
  const html = htmlEscaped(secret);
  // The job summary also writes | and @ as entities, so that neither can break a table or mention anyone.
  const summary = html.replace(/\|/g, '&#124;').replace(/@/g, '&#64;&#8288;');
  return [...new Set([secret, json, url, form, html, summary, htmlEscaped(json)])];
}

export class SecretRegistry {
  private readonly forms = new Set<string>();
  /** Longest first, so that a secret containing another is masked whole. */
  private sorted: string[] = [];

  constructor(private readonly mask: (secret: string) => void = () => {}) {}

  /** Registers a secret: masked in the runner's log from now on and redacted by redact(). */
  add(secret: string | undefined | null): void {
    if (!secret) return;
    this.mask(secret);
    if (secret.length < MIN_LENGTH) return;
    for (const form of secretForms(secret)) this.forms.add(form);
    this.sorted = [...this.forms].sort((a, b) => b.length - a.length);
  }

  /** The text with every known secret, in any of its forms, replaced by `***`. */
  redact(text: string): string {
    let result = text;
    for (const form of this.sorted) if (result.includes(form)) result = result.split(form).join(MASK);
    return result;
  }
}

const registry = new SecretRegistry((secret) => core.setSecret(secret));

/** Registers a secret of the run (app secret, tokens, a webhook URL): masked in the log and redacted from what the action publishes. */
export function addSecret(secret: string | undefined | null): void {
  registry.add(secret);
}

/** Text from a server or an error, with the run's secrets replaced by `***`. */
export function redact(text: string): string {
  return registry.redact(text);
}
