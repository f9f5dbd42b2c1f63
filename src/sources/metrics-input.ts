// The action's `metrics` input, read with the other inputs before anything else runs; kept
// apart from the metric source so that reading inputs loads nothing of the GitHub side.

/** A line of the `metrics` input: its number, or undefined when it gives none (`coverage=`). */
export interface MetricLine {
  value: number | undefined;
  line: number;
}

export type MetricValues = ReadonlyMap<string, MetricLine>;

const NAME = /^[A-Za-z][\w.-]{0,63}$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The `metrics` input: one `name=value` a line; blank lines and lines starting with # are
 * skipped. An empty value (a step output that was not set) leaves that metric without a
 * value, which fails only its target; anything else that is not name=number fails the run,
 * before any request, naming the line.
 */
export function parseMetricsInput(text: string): Map<string, MetricLine> {
  const values = new Map<string, MetricLine>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `Input metrics, line ${i + 1} ("${line.length > 60 ? `${line.slice(0, 59)}…` : line}")`;
    const equals = line.indexOf('=');
    if (equals < 0) throw new Error(`${at}: is not name=value; write it like coverage=72.4.`);
    const name = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (!NAME.test(name)) throw new Error(`${at}: "${name}" is not a metric name; use letters, digits, _ . or -, starting with a letter.`);
    if (value !== '' && !NUMBER.test(value)) throw new Error(`${at}: "${value}" is not a number; write it like ${name}=72.4 (no unit).`);
    if (values.has(name)) throw new Error(`${at}: ${name} is already given on line ${values.get(name)!.line}; give each metric once.`);
    values.set(name, { value: value === '' ? undefined : Number(value), line: i + 1 });
  });
  return values;
}
