/**
 * Page tables: each process's VMAs (range, flags, file and pgoff) and the leaf entries of its page
 * table (4 KiB PTEs and 2 MiB PMDs): address → pfn with the present/write/dirty/huge/special/anon
 * bits. The pfn is a button: picking it lights the same page in every panel (the XArray slot, the
 * device cell, the extent that owns it). Rebuilt from keyframes and pte/vma steps.
 */
import { memo, useMemo } from 'react';
import { useSim } from '../../store';
import type { Step } from '../../engine/trace/steps';
import '../highlight/highlight.css';
import { useHighlight, usePickProps, useWorld } from '../highlight/hooks';
import type { PanelProps } from '../types';
import { filePageOf, leafKey, sortedProcs } from './state';

const hex = (n: number) => '0x' + n.toString(16);
const BITS: { key: 'present' | 'write' | 'dirty' | 'huge' | 'special' | 'anon'; short: string; name: string }[] = [
  { key: 'present', short: 'P', name: 'present' },
  { key: 'write', short: 'W', name: 'writable' },
  { key: 'dirty', short: 'D', name: 'dirty' },
  { key: 'huge', short: 'H', name: 'huge (PMD)' },
  { key: 'special', short: 'S', name: 'special (no struct page reference)' },
  { key: 'anon', short: 'A', name: 'anonymous (private copy)' },
];

/** Leaves listed per process before the rest fold into a "N more" row (a process can map thousands). */
export const LEAF_LIMIT = 64;

/**
 * The leaves to list: the first `limit` by address, plus any later one that is changed or lit (so
 * the current step's entry and the highlighted ones stay visible), in address order.
 */
export function leavesToShow<L>(leaves: readonly L[], limit: number, keep: (l: L) => boolean): { shown: L[]; hidden: number } {
  if (leaves.length <= limit) return { shown: leaves.slice(), hidden: 0 };
  const shown = leaves.slice(0, limit);
  for (let i = limit; i < leaves.length; i++) if (keep(leaves[i])) shown.push(leaves[i]);
  return { shown, hidden: leaves.length - shown.length };
}

function changedLeaf(step: Step | undefined): string | null {
  return step && step.t === 'pte' ? leafKey(step.pid, step.level, step.vaddr) : null;
}

export function PageTablesPanel(_props: PanelProps) {
  const world = useWorld();
  const hl = useHighlight(world);
  const pick = usePickProps();
  const current = useSim((s) => (s.cursor > 0 ? s.steps[s.cursor - 1] : undefined));
  if (!world) return <div className="dv-pt dv-empty">No machine in this scenario: the page tables need a machine run.</div>;
  // The world's parts keep their identity while no step changes them: passing them (not the world,
  // new at every cursor) lets the list skip rendering on the many steps that touch no page table.
  return <PageTables procsState={world.procs} files={world.files} pmemStartPfn={world.pmemStartPfn} hl={hl} pick={pick} changed={changedLeaf(current)} />;
}

type World = NonNullable<ReturnType<typeof useWorld>>;

const PageTables = memo(function PageTables({
  procsState,
  files,
  pmemStartPfn,
  hl,
  pick,
  changed,
}: {
  procsState: World['procs'];
  files: World['files'];
  pmemStartPfn: number;
  hl: ReturnType<typeof useHighlight>;
  pick: ReturnType<typeof usePickProps>;
  changed: string | null;
}) {
  const procs = useMemo(() => sortedProcs(procsState), [procsState]);
  const nameOf = (ino: number | null) => (ino === null ? 'anonymous' : (files.files.get(ino)?.name ?? `ino ${ino}`));
  const where = (pfn: number) => {
    const b = pfn - pmemStartPfn;
    return b >= 0 ? `pmem block ${b}` : pfn === 0 ? 'DRAM (zero page)' : 'DRAM';
  };
  return (
    <div className="dv-pt" data-testid="pagetables-panel">
      {procs.length === 0 && <p className="dv-empty">No process has mapped anything yet.</p>}
      {procs.map(({ proc, leaves }) => (
        <section key={proc.pid} className="dv-proc" aria-label={`process ${proc.name}`}>
          <h3>
            {proc.name} <span className="dv-meta">pid {proc.pid}</span>
          </h3>
          <ul className="dv-vmas" aria-label={`VMAs of ${proc.name}`}>
            {proc.vmas.map((v) => (
              <li key={`${v.start}`} data-testid="vma" title={`${(v.end - v.start) / 4096} pages; ${v.flags.endsWith('s') ? 'shared: stores reach the file' : 'private: stores make copies'}`}>
                <span className="dv-meta">VMA</span> {hex(v.start)}-{hex(v.end)} <b>{v.flags}</b>{' '}
                {v.ino === null ? (
                  'anonymous'
                ) : (
                  <>
                    <button type="button" className="dv-linkish" {...pick({ kind: 'file', ino: v.ino })}>
                      {nameOf(v.ino)}
                    </button>
                    +{v.pgoff}
                  </>
                )}
              </li>
            ))}
          </ul>
          <ul className="dv-leaves" aria-label={`page-table entries of ${proc.name}`}>
            {leaves.length === 0 && <li className="dv-meta">no entries: the next access faults</li>}
            {(() => {
              const anyKept = hl.ptes.size > 0 || (changed !== null && changed.startsWith(`${proc.pid}:`));
              const { shown, hidden } = leavesToShow(leaves, LEAF_LIMIT, (l) => {
                if (!anyKept) return false;
                const k = leafKey(proc.pid, l.level, l.vaddr);
                return k === changed || hl.ptes.has(k);
              });
              const rows = shown.map((l) => {
              const key = leafKey(proc.pid, l.level, l.vaddr);
              const fp = filePageOf(proc, l);
              return (
                <li key={key} className="dv-leaf" data-leaf={key} data-lit={hl.ptes.has(key) || undefined} data-changed={changed === key || undefined} data-testid="pte">
                  <span className="dv-meta">{l.level.toUpperCase()}</span>{' '}
                  <button type="button" className="dv-linkish" {...pick({ kind: 'pte', pid: proc.pid, level: l.level, vaddr: l.vaddr })} title={fp ? `maps page ${fp.index} of ${nameOf(fp.ino)}` : 'select this entry'}>
                    {hex(l.vaddr)}
                  </button>
                  {' → '}
                  <button type="button" className="dv-linkish" data-testid="pfn-link" {...pick({ kind: 'pfn', pfn: l.pte.pfn })} title={`${where(l.pte.pfn)}: show this pfn in every panel`}>
                    {hex(l.pte.pfn)}
                  </button>
                  <br />
                  <span className="dv-bits" aria-label={BITS.filter((b) => l.pte[b.key]).map((b) => b.name).join(', ') || 'no bits'}>
                    {BITS.map((b) => (
                      <span key={b.key} className="dv-bit" data-on={l.pte[b.key] || undefined} title={`${b.name}: ${l.pte[b.key] ? 'set' : 'clear'}`}>
                        {l.pte[b.key] ? b.short : '·'}
                      </span>
                    ))}
                  </span>{' '}
                  <span className="dv-meta">{where(l.pte.pfn)}</span>
                </li>
              );
              });
              if (hidden > 0)
                rows.push(
                  <li key="more" className="dv-meta" data-testid="pte-more">
                    {hidden} more {hidden === 1 ? 'entry' : 'entries'} not listed (the first {LEAF_LIMIT} by address, the changed and the highlighted ones are)
                  </li>,
                );
              return rows;
            })()}
          </ul>
        </section>
      ))}
    </div>
  );
});
