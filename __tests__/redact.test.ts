import { describe, expect, it } from '@jest/globals';
import { SecretRegistry, secretForms } from '../src/secrets.js';

// The registry of the run's secrets and redact(), without a run.

describe('secretForms', () => {
  it('gives the secret as is, inside a JSON string, URL-encoded (also with + for spaces) and HTML-escaped', () => {
    expect(secretForms(`a b"c&<d>'@|`)).toEqual([
      `a b"c&<d>'@|`,
      `a b\\"c&<d>'@|`,
      'a%20b%22c%26%3Cd%3E\'%40%7C',
      "a+b%22c%26%3Cd%3E'%40%7C",
      'a b&quot;c&amp;&lt;d&gt;&#39;@|',
      'a b&quot;c&amp;&lt;d&gt;&#39;&#64;&#8288;&#124;',
      'a b\\&quot;c&amp;&lt;d&gt;&#39;@|',
    ]);
    expect(secretForms('t-abc123')).toEqual(['t-abc123']);
  });
});

describe('SecretRegistry', () => {
  it('masks each secret it is given with the runner and redacts every form of it', () => {
    const masked: string[] = [];
    const secrets = new SecretRegistry((s) => masked.push(s));
    secrets.add('pa ss"word');
    secrets.add('u-token-1');
    secrets.add(undefined);
    secrets.add('');
    expect(masked).toEqual(['pa ss"word', 'u-token-1']);
    expect(secrets.redact('1 pa ss"word 2 pa ss\\"word 3 pa%20ss%22word 4 pa+ss%22word 5 pa ss&quot;word 6 u-token-1u-token-1')).toBe(
      '1 *** 2 *** 3 *** 4 *** 5 *** 6 ******',
    );
    expect(secrets.redact('nothing secret here')).toBe('nothing secret here');
  });

  it('masks a secret that contains another as a whole', () => {
    const secrets = new SecretRegistry();
    secrets.add('abcd');
    secrets.add('xxabcdyy');
    expect(secrets.redact('xxabcdyy and abcd')).toBe('*** and ***');
  });

  it('leaves secrets shorter than 4 characters to the runner: they would mask ordinary words', () => {
    const masked: string[] = [];
    const secrets = new SecretRegistry((s) => masked.push(s));
    secrets.add('abc');
    expect(masked).toEqual(['abc']);
    expect(secrets.redact('abc abcd')).toBe('abc abcd');
  });
});
