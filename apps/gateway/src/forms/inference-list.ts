/**
 * The image lists of the classify-many and top-N forms (contract §10.3), read by the gateway
 * before it stores the named images and queues the request; the worker sees only the result.
 */

/** A classify_many list line: `<path>` optionally followed by whitespace and an integer label (§10.3). */
export function parseInferenceList(text: string): { path: string; label: number | null }[] {
  const out: { path: string; label: number | null }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^(.*\S)\s+(\d+)$/.exec(line);
    out.push(match ? { path: match[1]!, label: Number(match[2]) } : { path: line, label: null });
  }
  return out;
}
