/**
 * The topics of the guided library, in the order the chooser lists them. Together they cover the
 * mailing-list threads in ../shared/seeds and the sections of ../shared/kernel-model.md; `sources`
 * says where each topic comes from, so a reader can go to the original.
 */
export const TOPICS = [
  { id: 'xip-direct', title: 'DAX: direct access without the page cache (the successor of XIP)', sources: ['kernel-model §4.1', 'seed 002 (DAX-replaces-XIP scope)'] },
  { id: 'pagecache-vs-dax', title: 'The page cache and DAX on the same workload', sources: ['kernel-model §5, §6'] },
  { id: 'hole-zero-page', title: 'A read fault on a hole and the zero page', sources: ['kernel-model §4.5', 'seed 001 (telling DAX the size of holes)'] },
  { id: 'write-fault', title: 'A write fault that allocates a block', sources: ['kernel-model §4.3, §4.5, §4.6'] },
  { id: 'pmd-fault', title: 'PMD (2 MiB) faults and each fallback', sources: ['kernel-model §4.4', 'seed 001'] },
  { id: 'dirty-fsync', title: 'Dirty tracking, fsync and msync', sources: ['kernel-model §6'] },
  { id: 'map-sync', title: 'MAP_SYNC: a write fault that is durable when it returns', sources: ['kernel-model §4.9'] },
  { id: 'power-failure', title: 'Power failure with and without flushes, on ADR and eADR', sources: ['kernel-model §6'] },
  { id: 'truncate-punch', title: 'Truncate and hole punch while a file is mapped', sources: ['kernel-model §7'] },
  { id: 'pins', title: 'Pins block truncate; FOLL_LONGTERM is refused', sources: ['kernel-model §7', 'seed 002 (RDMA and truncate)'] },
  { id: 'struct-page', title: 'struct page for pmem and the cost of its memmap', sources: ['kernel-model §8, §10', 'seed 002 (the missing struct page)'] },
  { id: 'reflink-cow', title: 'Reflink sharing and copy-on-write under DAX', sources: ['kernel-model §9', 'seed 003 (sharing pages between reflinked files)'] },
  { id: 'shared-owner', title: 'One block, many files: who owns a shared page (page proxy, PFN entries, a mapping argument)', sources: ['kernel-model §4.7, §10', 'seeds 000, 003, 004'] },
  { id: 'memory-failure', title: 'Memory failure reaching every owner of a shared block', sources: ['kernel-model §9'] },
  { id: 'private-cow', title: 'MAP_PRIVATE: copy-on-write into DRAM', sources: ['kernel-model §4.5'] },
  { id: 'kernel-eras', title: 'Older kernels: the same scenario under 6.1 and the modern model', sources: ['kernel-model §11', 'docs/kernel-6.1.md'] },
] as const;

export type TopicId = (typeof TOPICS)[number]['id'];
export interface Topic {
  id: TopicId;
  title: string;
  sources: readonly string[];
}
