import { it } from 'vitest';
import { Machine } from '../src/engine/machine';
function run(name: string, config: any, ops: any[]) {
  const m = Machine.create({ version: 1, config, ops }) as Machine;
  for (let i = 0; i < ops.length; i++) {
    try { const o = m.step(); console.log(name, i, ops[i].op, o.status, JSON.stringify(o.result), JSON.stringify(m.check()).slice(0, 300)); }
    catch (e) { console.log(name, i, ops[i].op, 'THROWS', String(e)); break; }
  }
}
it('r', () => {
  run('A', {}, [
    { op: 'create', file: 'f' },
    { op: 'write', file: 'f', offset: 0, data: 'x' },
    { op: 'mmap', proc: 'A', file: 'f', length: 4096, as: 'm' },
    { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'p' },
    { op: 'crash' },
    { op: 'create', file: 'g' },
    { op: 'write', file: 'g', offset: 0, data: 'y' },
    { op: 'crash' },
  ]);
  for (const dax of ['always', 'never'])
  run('B-' + dax, { dax }, [
    { op: 'create', file: 'f' },
    { op: 'write', file: 'f', offset: 0, data: 'abc' },
    { op: 'mmap', proc: 'A', file: 'f', length: 4096, flags: 'private', as: 'm' },
    { op: 'store', proc: 'A', addr: { map: 'm' }, data: 'P' },
    { op: 'truncate', file: 'f', size: 0 },
    { op: 'load', proc: 'A', addr: { map: 'm' }, len: 3 },
  ]);
});
