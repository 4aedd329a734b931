/**
 * The scenario language's printer: a Scenario (and its chapter markers) in canonical text.
 * parse(print(s, chapters)) gives back s and chapters (test/lang-roundtrip.test.ts).
 *
 * Conventions in this file:
 *   canonical - one space between tokens; optional positionals stand in their place when
 *               they can, else as key=value; flags in the order of the command table; then
 *               "as <label>", then pause=, then note= (only for narration the > lines cannot
 *               carry: a carriage return).
 *
 * What this model leaves out: a scenario that validateScenario refuses may print as text that
 * does not parse back; chapter titles are written on one line (line breaks become spaces).
 */
import type { Op, Scenario } from '../ops';
import type { Chapter } from './parse';
import { COMMANDS, MACHINE_KEYS, formatHex, formatName, formatSize, formatValue, type ArgKind } from './syntax';

type OpRecord = Record<string, unknown>;

function formatAddr(a: unknown): string {
  if (typeof a === 'number') return formatHex(a);
  const o = a as { map: string; offset?: number };
  return formatName(o.map) + (o.offset === undefined ? '' : `+${formatSize(o.offset)}`);
}

function formatPos(kind: ArgKind, v: unknown): string {
  switch (kind) {
    case 'name':
      return formatName(String(v));
    case 'num':
      return formatSize(v as number);
    case 'addr':
      return formatAddr(v);
    case 'str':
      return JSON.stringify(v);
    case 'prot3':
      return String(v);
  }
}

/** One operation as a line (without its narration). */
export function printOp(o: Op & { pause?: string; note?: string }, withNote = false): string {
  const r = o as unknown as OpRecord;
  const spec = COMMANDS[o.op];
  const parts: string[] = [];
  if (spec.proc !== 'none' && r.proc !== undefined) parts.push(formatName(String(r.proc)) + ':');
  parts.push(o.op);
  const keyed: string[] = [];
  // An optional positional that was left out hides a later one of the same kind, until a
  // required positional intervenes; such a later one is written as key=value.
  const skipped = new Set<ArgKind>();
  for (const a of spec.pos) {
    const v = r[a.field];
    if (!a.optional) {
      skipped.clear();
      parts.push(formatPos(a.kind, v));
      continue;
    }
    if (v === undefined) {
      skipped.add(a.kind);
      continue;
    }
    if (skipped.has(a.kind) && a.key) keyed.push(`${a.key}=${formatPos(a.kind, v)}`);
    else parts.push(formatPos(a.kind, v));
  }
  parts.push(...keyed);
  for (const [key, k] of Object.entries(spec.keys ?? {})) {
    const v = r[k.field];
    if (v !== undefined) parts.push(`${key}=${k.kind === 'hex' ? formatHex(v as number) : formatSize(v as number)}`);
  }
  const done = new Set<string>();
  for (const [word, [field, value]] of Object.entries(spec.flags ?? {})) {
    const v = r[field];
    if (v === undefined || done.has(field)) continue;
    if (typeof value === 'boolean') {
      done.add(field);
      parts.push(v === true ? word : `${word}=off`);
    } else if (v === value) {
      done.add(field);
      parts.push(word);
    }
  }
  if (spec.as && r[spec.as] !== undefined) parts.push('as', formatName(String(r[spec.as])));
  if (o.pause !== undefined) parts.push(`pause=${formatValue(o.pause)}`);
  if (withNote && o.note !== undefined) parts.push(`note=${JSON.stringify(o.note)}`);
  return parts.join(' ');
}

/** The `machine` header line for a config. */
export function printMachine(config: Scenario['config']): string {
  const parts = ['machine'];
  const c = (config ?? {}) as Record<string, unknown>;
  for (const [key, k] of Object.entries(MACHINE_KEYS)) {
    const v = c[k.field];
    if (v === undefined) continue;
    parts.push(`${key}=${k.kind === 'size' ? formatSize(v as number) : k.kind === 'bool' ? (v ? 'on' : 'off') : String(v)}`);
  }
  return parts.join(' ');
}

/** Canonical text of a scenario; chapters are placed before the operation they name. */
export function print(scenario: Scenario, chapters: readonly Chapter[] = []): string {
  const out: string[] = [];
  if (scenario.config !== undefined) out.push(printMachine(scenario.config));
  const chaptersAt = (i: number) => {
    for (const c of chapters) {
      if (c.index !== i) continue;
      if (out.length) out.push('');
      out.push(`## ${c.title.replace(/[\r\n]+/g, ' ').trim()}`);
    }
  };
  scenario.ops.forEach((o, i) => {
    chaptersAt(i);
    const inline = o.note !== undefined && o.note.includes('\r');
    if (o.note !== undefined && !inline) for (const l of o.note.split('\n')) out.push(l === '' ? '>' : `> ${l}`);
    out.push(printOp(o, inline));
  });
  chaptersAt(scenario.ops.length);
  return out.join('\n') + '\n';
}
