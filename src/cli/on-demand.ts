/**
 * What only some inputs and outputs need, behind one module: the readers of FILE inputs, the policy and program
 * writers, the disassembler's naming (`emu --trace`), the Docker/OCI layer and the profile registry. A command
 * loads it with one `import()` when it needs any of them; and as one entry point of the bundle (instead of one per
 * module) it leaves the code every command shares in a few chunks rather than a dozen small ones, each a file to
 * find, read and link at start.
 */
export { loadFilterFile, loadPolicyFile, readWorkloadFile } from './input-files.js';
export { writeProgram } from '../bpf/formats.js';
export { namingContext } from '../bpf/disasm.js';
export { formatPolicyJson } from '../policy/json.js';
export { exportSystemd } from '../policy/formats/systemd.js';
export { exportFirecracker } from '../policy/formats/firecracker-export.js';
export { exportProfile, formatProfileJson, loadProfile } from '../policy/oci/index.js';
export { KUBERNETES_GROUP, parseKernelVersion } from '../policy/oci/read.js';
export { TARGETS } from '../policy/oci/vocabulary.js';
export { findProfile, getProfile } from '../policy/profiles/index.js';
