/** Why a program could not be read from bytes or text, with the place: byte offset, line and column, or JSON path. */
export class ProgramFormatError extends Error {
  constructor(
    message: string,
    readonly where: { readonly byteOffset?: number; readonly line?: number; readonly column?: number; readonly path?: string } = {},
  ) {
    super(message);
    this.name = 'ProgramFormatError';
  }
}

/** `line L, column C: message` for text inputs (both 1-based). */
export function textError(message: string, line: number, column: number): ProgramFormatError {
  return new ProgramFormatError(`line ${line}, column ${column}: ${message}`, { line, column });
}
