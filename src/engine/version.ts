/**
 * The kernel version the model follows. 'modern' is Linux 6.15 and later (folio refcounts for
 * DAX, dax_break_layout, compound PMD folios); '6.1' is the kernel Debian 12 ships (refcount idle
 * at 1, PAGE_MAPPING_DAX_COW sentinel for shared pages, vmf_insert_mixed for PTEs).
 */
export type KernelVersion = 'modern' | '6.1';
export const KERNEL_VERSIONS: readonly KernelVersion[] = ['modern', '6.1'];

/** The tag on elixir.bootlin.com used to link source for each modelled version. */
export function elixirTag(v: KernelVersion): string {
  return v === 'modern' ? 'v6.15' : 'v6.1';
}
