/**
 * How the engine prints bytes (read(2) results, loads, page contents in dumps): printable ASCII
 * as itself, anything else (and the backslash) as \\xNN, so outputs stay readable and exact.
 */

const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, c) =>
  c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0'),
);

/** The bytes as text; with `trimZeros`, trailing zero bytes are left out (an untouched page prints ""). */
export function bytesText(b: Uint8Array, trimZeros = false): string {
  let end = b.length;
  if (trimZeros) while (end > 0 && b[end - 1] === 0) end--;
  const parts = new Array<string>(end);
  for (let i = 0; i < end; i++) parts[i] = BYTE_TEXT[b[i]];
  return parts.join('');
}
