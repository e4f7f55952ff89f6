// One version scheme per ecosystem, each in its own file, all listed in ./index.ts.

export interface VersionScheme {
  /** The OSV ecosystem names this scheme serves. */
  readonly ecosystems: readonly string[];
  /** Negative when a < b, 0 when equal in the scheme's sense, positive when a > b. */
  compare(a: string, b: string): number;
  /** False for strings the scheme cannot order; such versions never match a range. */
  isValid(v: string): boolean;
}
