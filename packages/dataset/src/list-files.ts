/** The text files of a dataset job: `train.txt`/`val.txt`/`test.txt` image lists and `labels.txt`. */

/** One image list line: an image path (or URL) and its numeric label. */
export interface ListLine {
  path: string;
  label: number;
}

/** `"<path> <label>\n"` per line, as parse-folder writes them. */
export function formatListLines(lines: readonly ListLine[]): string {
  let text = '';
  for (const line of lines) text += `${line.path} ${line.label}\n`;
  return text;
}

// DIGITS' `(.+)\s+(\d+)\s*$`, with the path group made lazy so trailing whitespace before the
// label is not kept in the path (same lines match; DIGITS would look for "img.jpg\t" on disk).
const LIST_LINE = /^(.+?)\s+(\d+)\s*$/;

/** Parses an image list (contract §6.4); blank and malformed lines are skipped silently. */
export function parseImageList(text: string): ListLine[] {
  const lines: ListLine[] = [];
  for (const raw of text.split('\n')) {
    const match = LIST_LINE.exec(raw);
    if (!match) continue;
    const label = Number(match[2]);
    if (!Number.isSafeInteger(label)) continue;
    lines.push({ path: match[1] as string, label });
  }
  return lines;
}

/** `labels.txt` → label names: one per non-empty line, trimmed (line i names label i). */
export function parseLabelsText(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
}

/** Label names → `labels.txt`: one per line, with a trailing newline. */
export function formatLabels(labels: readonly string[]): string {
  return labels.map((label) => `${label}\n`).join('');
}
