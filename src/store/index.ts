export { makeSimStore, type SimStore, type SimStoreOptions } from './makeSimStore';
export { SimProvider, useSim, useSimShallow, useSimStore } from './context';
export { boundaries } from './playback';
export { chaptersOf } from './scenario';
export { deriveMarkers } from './trace';
export { stepCategory, CATEGORIES, CATEGORY_LABEL, type StepCategory } from './categories';
export * from './types';
export { sameTarget, targetKey } from './selection';
