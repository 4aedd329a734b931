/**
 * A table of the guided library for its authors: per tour the operations, chapters, source
 * length, share-link length (limit 2,000), steps, and any invariant violation the run reports
 * that its kernel model does not explain. Run: `npx tsx tools/library-report.ts [name...]`.
 */
import { Machine } from '../src/engine/machine';
import { explainedRules } from '../src/engine/debug/check-machine';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin';
import { encodeShare } from '../src/share/codec';
import { DEFAULT_PANELS } from '../src/store/panels';

const BASE = 'https://example.org/daxviz/';
const only = process.argv.slice(2);
let bad = 0;
for (const b of BUILTIN_SCENARIOS) {
  if (only.length && !only.includes(b.name)) continue;
  const model = b.scenario.config?.kernel ?? 'modern';
  const url = BASE + encodeShare({ scenarioText: b.text, step: 999, panels: DEFAULT_PANELS, model, name: b.name, title: b.title });
  const m = Machine.create(b.scenario);
  if ('errors' in m) {
    console.log(`${b.name}: scenario errors ${JSON.stringify(m.errors)}`);
    bad++;
    continue;
  }
  const explained = explainedRules(model);
  const problems: string[] = [];
  b.scenario.ops.forEach((op, i) => {
    const o = m.step();
    if (o.status === 'error' || o.status === 'signal') problems.push(`op ${i} ${op.op}: ${o.status} ${JSON.stringify(o.result)}`);
    for (const v of m.check()) if (!explained.includes(v.rule)) problems.push(`op ${i} ${op.op}: ${v.rule} ${v.message}`);
  });
  const line = `${b.name}: ops ${b.scenario.ops.length}, chapters ${b.chapters.length}, text ${b.text.length}, url ${url.length}${url.length >= 2000 ? ' (TOO LONG)' : ''}, steps ${m.steps.length}, pending ${m.pending.length}, warnings ${m.warnings.length}`;
  console.log(line);
  for (const p of problems) console.log(`  ${p}`);
  if (problems.length || url.length >= 2000) bad++;
}
process.exitCode = bad ? 1 : 0;
