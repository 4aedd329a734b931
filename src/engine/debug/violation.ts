/**
 * Invariant violations are data, not exceptions: a checker returns a list of them, tests assert
 * the list is empty, and the app can show them. On the 6.1 model some are expected (the kernel
 * really breaks them); those are documented in docs/.
 */
export interface Violation {
  /** short stable identifier of the rule, e.g. "xa.count" or "blk.free-and-referenced" */
  rule: string;
  /** where: an XArray node, a pfn, a block, an inode */
  where: string;
  /** one sentence for a human */
  message: string;
}
