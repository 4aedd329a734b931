/**
 * The built-in demo: a tour of the XArray, run by the real engine in the worker. Each op is one
 * thing the golden traces from the kernel show (see /work/shared/xarray-golden: hm01, hm02, hm03,
 * hm09, hm17).
 */
import type { XaScenarioSpec } from '../worker/protocol';

export const xarrayTour: XaScenarioSpec = {
  v: 1,
  kind: 'xarray',
  name: 'xarray-tour',
  title: 'XArray tour: head entry, growth, a multi-index entry, marks, erase',
  ops: [
    // A lone entry at index 0 lives in the head itself: no node yet (hm01).
    { op: 'store', index: 0, value: 100 },
    // A second index needs a node of 64 slots (hm02).
    { op: 'store', index: 1, value: 101 },
    // Index 64 is beyond one node's reach: the tree grows a level (hm03).
    { op: 'store', index: 64, value: 102 },
    // One entry for 512 indices: a canonical slot plus sibling slots (hm09).
    { op: 'store', index: 512, value: 900, order: 9 },
    // Marks sit on the canonical slot and are summarised up the tree (hm17).
    { op: 'set_mark', index: 700, mark: 0 },
    { op: 'set_mark', index: 1, mark: 1 },
    // Erasing the only entry of a leaf frees the leaf.
    { op: 'erase', index: 64 },
    // Erasing any index of a multi-index entry erases all of it.
    { op: 'erase', index: 600 },
  ],
};
