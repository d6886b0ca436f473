/**
 * User namespaces (`seccomp-ts/userns`): ID maps computed, checked against the kernel's rules, translated,
 * allocated from subordinate ranges and rendered for runtimes, and the `:U` chown plan. Browser-safe like the
 * rest of the library; the CLI applies what needs a kernel.
 *
 * @packageDocumentation
 */
export { IdMapError, MAX_EXTENTS, MAX_ID, OVERFLOW_ID, type IdExtent, type IdKind, type IdMap } from './types.js';
export { kernelMapWrite, INITIAL_NAMESPACE_MAP, type MapWriter, type MapWriteVerdict } from './kernel.js';
export {
  parseSubordinateIds, parseSubordinateStrict, rangesOf,
  type SubordinateFile, type SubordinateProblem, type SubordinateRange, type SubordinateUser,
} from './subid.js';
export { toHost, toContainer, shownInside } from './translate.js';
export {
  sharedMap, perContainerMaps, sharedHostIds, outsideRanges, normaliseRanges,
  type BlockRequest, type HostRange, type SharedHostIds,
} from './allocate.js';
export {
  toOciMappings, fromOciMappings, toProcLines, toNewIdMapArgs, toCompact, parseIdMap, dockerRemapView,
  type OciIdMapping, type RemapView,
} from './render.js';
export { newIdMapProblem } from './newidmap.js';
export { planChown, type ChownMode, type ChownPlan, type ChownStep, type TreeEntry } from './chown-plan.js';
