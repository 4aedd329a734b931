/**
 * Runs a scenario on the simulated machine and prints what happened.
 *
 * Usage: npm run sim -- <scenario-file (.json or .scn) | builtin:NAME> [--json] [--tracepoints] [--kernel modern|6.1] [--check]
 *
 *   builtin:NAME    a tour of the guided library (src/scenarios/library); `builtin:` alone lists them.
 *
 *   (default)       one readable line per step (src/engine/trace/format.ts): indentation by call
 *                   depth, "[op N]" headers, "→ fn(args)" calls, "← fn = result" returns, "tp:"
 *                   tracepoints, "WARN" splats, state changes; each line ends with "  # " and the
 *                   step's sentence.
 *   --tracepoints   only the fs_dax tracepoint lines, as /sys/kernel/tracing/trace prints them
 *                   after the task/CPU/flags/timestamp columns (docs/trace-format.md).
 *   --json          {traceVersion, config, steps, state, violations}, pretty-printed; the same
 *                   scenario always gives the same bytes.
 *   --kernel V      run as kernel V ('modern' or '6.1'), overriding the scenario's config.kernel.
 *   --check         run the invariant checks after the last operation and report violations;
 *                   exit code 1 if there are any.
 *
 * Exit codes: 0 done; 1 --check found violations; 2 bad command line or bad scenario (missing
 * file, invalid JSON with line and column, schema errors with operation index and field, .scn
 * errors as file:line:column: message);
 * 3 the simulator itself failed (a bug: please report the scenario).
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nearest, validateScenario, type ScenarioError } from '../src/engine/ops.ts';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin.ts';

/** `builtin:<name>` names a tour of the guided library instead of a file. */
const BUILTIN_PREFIX = 'builtin:';
import { KERNEL_VERSIONS, type KernelVersion } from '../src/engine/version.ts';
import { TRACE_VERSION, type Json, type Step } from '../src/engine/trace/steps.ts';
import { formatStep } from '../src/engine/trace/format.ts';
import { formatTracepoint } from '../src/engine/trace/tracepoints.ts';
import { parse as parseScenarioText, SCENARIO_EXT } from '../src/engine/lang/index.ts';

export interface SimOptions {
  file: string;
  json: boolean;
  tracepoints: boolean;
  kernel: KernelVersion | null;
  check: boolean;
}

export interface SimIO {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT_OK = 0;
export const EXIT_VIOLATIONS = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;

const USAGE = 'usage: npm run sim -- <scenario-file | builtin:NAME> [--json] [--tracepoints] [--kernel modern|6.1] [--check]';

/** A failure the user can fix: the message says what and where; the exit code is 2. */
export class InputError extends Error {}

/** Read the command line. Throws InputError with a message for the user. */
export function parseArgs(argv: readonly string[]): SimOptions {
  const o: SimOptions = { file: '', json: false, tracepoints: false, kernel: null, check: false };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--tracepoints') o.tracepoints = true;
    else if (a === '--check') o.check = true;
    else if (a === '--kernel' || a.startsWith('--kernel=')) {
      const v = a === '--kernel' ? argv[++i] : a.slice('--kernel='.length);
      if (v === undefined) throw new InputError(`--kernel needs a value: ${KERNEL_VERSIONS.join(' or ')}`);
      if (!(KERNEL_VERSIONS as readonly string[]).includes(v)) throw new InputError(`--kernel must be ${KERNEL_VERSIONS.join(' or ')}, not "${v}"`);
      o.kernel = v as KernelVersion;
    } else if (a.startsWith('-') && a !== '-') throw new InputError(`unknown option "${a}"\n${USAGE}`);
    else files.push(a);
  }
  if (files.length !== 1) throw new InputError(files.length ? `one scenario file at a time, not ${files.length}\n${USAGE}` : USAGE);
  if (o.json && o.tracepoints) throw new InputError('--json and --tracepoints exclude each other');
  o.file = files[0];
  return o;
}

/** Where a JSON text stops being JSON: the offset and what was expected there. */
export function locateJsonError(text: string): { offset: number; message: string } | null {
  let i = 0;
  const fail = (message: string): never => {
    throw { offset: i, message };
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('the string is not closed');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('a control character (such as a line break) inside a string; write it as \\n');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('\\u needs four hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`unknown escape \\${e ?? ''} in a string`);
      } else i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 10000) fail('nested too deeply');
    ws();
    if (i >= text.length) fail('the text ends where a value should be');
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        str();
        ws();
        if (text[i] !== ':') fail("expected ':' after the property name");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail("a comma before '}': JSON allows no trailing comma");
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(i >= text.length ? "the text ends inside an object (missing '}')" : "expected ',' or '}' after a property value");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail("a comma before ']': JSON allows no trailing comma");
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(i >= text.length ? "the text ends inside a list (missing ']')" : "expected ',' or ']' after a list element");
      }
    }
    if (c === '"') return str();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m && m[0] !== '-' && m[0].length) {
      i += m[0].length;
      return;
    }
    for (const w of ['true', 'false', 'null']) {
      if (text.startsWith(w, i)) {
        i += w.length;
        return;
      }
    }
    fail(`unexpected ${JSON.stringify(c)}: expected a value (object, list, string, number, true, false or null)`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail('unexpected text after the end of the JSON value');
    return null;
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'offset' in e) return e as { offset: number; message: string };
    throw e;
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Read a scenario file and parse it by its extension: .json (the engine's JSON form) or .scn
 * (the scenario language, docs/scenario-language.md). Returns the parsed value; a .scn file is
 * also validated already (its errors say file:line:column). Throws InputError.
 */
export function loadScenario(path: string): unknown {
  if (path.startsWith(BUILTIN_PREFIX)) {
    const name = path.slice(BUILTIN_PREFIX.length);
    const b = BUILTIN_SCENARIOS.find((t) => t.name === name);
    if (!b) {
      const near = nearest(name, BUILTIN_SCENARIOS.map((t) => t.name));
      throw new InputError(
        `${name ? `no built-in scenario "${name}"${near ? ` (did you mean "${near}"?)` : ''}` : 'which built-in scenario?'}; the built-in scenarios are: ${BUILTIN_SCENARIOS.map((t) => t.name).join(', ')}`,
      );
    }
    return b.scenario;
  }
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== SCENARIO_EXT)
    throw new InputError(`${path}: cannot read "${ext || 'no extension'}" scenario files; use a .json or ${SCENARIO_EXT} scenario`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? String(e));
    throw new InputError(`${path}: cannot read the scenario: ${why}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (ext === SCENARIO_EXT) {
    const r = parseScenarioText(text);
    if ('errors' in r) throw new InputError(r.errors.map((e) => `${path}:${e.line}:${e.column}: ${e.message}`).join('\n'));
    return r.scenario;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const where = locateJsonError(text);
    if (!where) throw new InputError(`${path}: invalid JSON: ${(e as Error).message}`);
    const { line, column } = lineColumn(text, where.offset);
    throw new InputError(`${path}:${line}:${column}: invalid JSON: ${where.message}`);
  }
}

/** One line per schema error: "op 3 (load), field addr: ...", or "config.kernel: ...". */
export function describeScenarioErrors(path: string, input: unknown, errors: readonly ScenarioError[]): string {
  const ops = Array.isArray(input) ? input : typeof input === 'object' && input !== null ? (input as { ops?: unknown }).ops : undefined;
  const lines = errors.map((e) => {
    if (e.index < 0) return `  ${e.field ?? 'scenario'}: ${e.message}`;
    const o = Array.isArray(ops) ? (ops[e.index] as { op?: unknown } | undefined) : undefined;
    const name = o && typeof o === 'object' && typeof o.op === 'string' ? ` (${o.op})` : '';
    return `  op ${e.index}${name}${e.field ? `, field ${e.field}` : ''}: ${e.message}`;
  });
  return `${path}: the scenario has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}

/** The scenario with config.kernel set to `kernel` (a bare list of ops becomes an object). */
function withKernel(input: unknown, kernel: KernelVersion | null): unknown {
  if (kernel === null) return input;
  if (Array.isArray(input)) return { version: 1, config: { kernel }, ops: input };
  if (typeof input !== 'object' || input === null) return input;
  const s = input as { config?: unknown };
  const config = typeof s.config === 'object' && s.config !== null && !Array.isArray(s.config) ? s.config : {};
  return { ...s, config: { ...config, kernel } };
}

/** Run the command line `argv` (without node and script); returns the exit code. */
export async function runSim(argv: readonly string[], io: SimIO): Promise<number> {
  let opts: SimOptions;
  let input: unknown;
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT_OK;
  }
  try {
    opts = parseArgs(argv);
    input = withKernel(loadScenario(opts.file), opts.kernel);
    const v = validateScenario(input);
    if ('errors' in v) throw new InputError(describeScenarioErrors(opts.file, input, v.errors));
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`sim: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }

  try {
    const { Machine } = await import('../src/engine/machine.ts');
    const m = Machine.create(input);
    if ('errors' in m) {
      io.err(`sim: ${describeScenarioErrors(opts.file, input, m.errors)}\n`);
      return EXIT_BAD_INPUT;
    }
    m.run();
    const kernel = m.config.kernel;
    const steps: Step[] = m.tr.steps;
    const violations = opts.check || opts.json ? m.check() : [];
    if (opts.json) {
      const doc: { [k: string]: Json } = {
        traceVersion: TRACE_VERSION,
        config: m.config as unknown as Json,
        steps: steps as unknown as Json,
        state: m.dumpState(),
        violations: violations as unknown as Json,
      };
      io.out(JSON.stringify(doc, null, 2) + '\n');
    } else if (opts.tracepoints) {
      const lines = steps.filter((s) => s.t === 'tp').map((s) => formatTracepoint(s, kernel));
      io.out(lines.length ? lines.join('\n') + '\n' : '');
    } else {
      io.out(steps.map((s) => formatStep(s, { kernel })).join('\n') + (steps.length ? '\n' : ''));
    }
    if (opts.check) {
      const report = violations.length
        ? violations.map((v) => `VIOLATION ${v.rule} at ${v.where}: ${v.message}`).join('\n')
        : 'check: no invariant violations';
      // In the machine-readable modes the report goes to stderr so stdout stays clean.
      if (opts.json || opts.tracepoints) io.err(report + '\n');
      else io.out(report + '\n');
      return violations.length ? EXIT_VIOLATIONS : EXIT_OK;
    }
    return EXIT_OK;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`sim: internal error while running ${opts.file}: ${msg}\n`);
    if (process.env.SIM_DEBUG && e instanceof Error && e.stack) io.err(e.stack + '\n');
    else io.err('sim: this is a bug in the simulator; set SIM_DEBUG=1 to see where it happened.\n');
    return EXIT_INTERNAL;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  runSim(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`sim: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_INTERNAL;
    },
  );
}
