/** A filter's raw return value as text. */
import { decodeAction, encodeAction } from '../syscalls/actions.js';
import { formatAction } from '../syscalls/action-text.js';

/** `ERRNO(EPERM)`; a value the kernel does not know is shown as the action it means plus the raw value. */
export function actionText(raw: number): string {
  const action = decodeAction(raw);
  const text = formatAction(action);
  return encodeAction(action) === raw >>> 0 ? text : `${text} (0x${(raw >>> 0).toString(16)})`;
}
