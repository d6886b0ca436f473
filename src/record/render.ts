/**
 * A recording written out as a user asks for it: the recording itself (JSON), a seccomp-ts policy, or a
 * Docker/OCI profile that runc turns into the same filter.
 */
import { exportProfile } from '../policy/oci/index.js';
import { formatPolicyJson } from '../policy/json.js';
import type { Action } from '../syscalls/actions.js';
import { formatRecording, recordingPolicy, type Recording } from './recording.js';

/** The forms `record` writes. */
export const RECORDING_FORMATS = ['oci', 'policy', 'json'] as const;

/** One of {@link RECORDING_FORMATS}. */
export type RecordingFormat = (typeof RECORDING_FORMATS)[number];

/** The output text in the chosen format, and warnings about it. */
export function renderRecording(recording: Recording, format: RecordingFormat, defaultAction: Action, conditions: boolean): { text: string; warnings: string[] } {
  if (format === 'json') return { text: formatRecording(recording), warnings: [] };
  if (format === 'policy') return { text: formatPolicyJson(recordingPolicy(recording, { defaultAction, conditions })), warnings: [] };
  // runc resolves each name on every ABI of the profile, so the profile names syscalls; a call of another ABI is
  // one runc's filter gives KILL_THREAD, which the policy says as well so that no difference is reported.
  const policy = { ...recordingPolicy(recording, { defaultAction, conditions, scope: 'names' }), badArchAction: { kind: 'KILL_THREAD' } as const };
  const exported = exportProfile(policy);
  return { text: exported.text.endsWith('\n') ? exported.text : `${exported.text}\n`, warnings: [...exported.warnings] };
}
