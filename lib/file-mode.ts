/**
 * Who may read the health data gluco-hub writes to disk. Readings, treatments and vendor answers
 * are a person's medical record: files are the owner's alone (0600, directories 0700) unless the
 * user chooses otherwise (`GLUCO_HUB__FILESYSTEM__MODE`, e.g. `640` for a group that backs them up).
 */

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** `600`, `0640`, … as a number; undefined when it is not three octal digits (with an optional leading 0). */
export function parseFileMode(text: string): number | undefined {
  const match = /^0?([0-7]{3})$/.exec(text.trim());
  return match ? Number.parseInt(match[1]!, 8) : undefined;
}

/** A directory for files of `fileMode`: whoever may read the files may also enter the directory. */
export function dirModeFor(fileMode: number): number {
  let mode = fileMode | 0o700;
  if (fileMode & 0o040) mode |= 0o010;
  if (fileMode & 0o004) mode |= 0o001;
  return mode;
}
