/**
 * fast-check, the peer dependency of `seccomp-ts/testing`, as every module of the kit imports it. The build puts a
 * loader in this module's place (src/testing/peer/) that turns a missing fast-check into one line naming it.
 */
import fc from 'fast-check';

export default fc;
