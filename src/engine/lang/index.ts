/**
 * The scenario language: a line-oriented text form of the engine's Scenario that reads like a
 * session of system calls and CPU accesses (docs/scenario-language.md). parse() turns text into
 * a Scenario plus chapter markers, print() writes the canonical text back.
 *
 * Conventions in this file: none; it only gathers the public names.
 *
 * What this model leaves out: nothing beyond what parse.ts and print.ts say.
 */
export { parse, type Chapter, type LangError, type ParseResult } from './parse';
export { print, printOp, printMachine } from './print';
export { COMMANDS, MACHINE_KEYS, parseNumber, formatSize } from './syntax';

/** The file extension of scenario-language files. */
export const SCENARIO_EXT = '.scn';
