// madge ships no types: the part of its API the structure tests use (https://github.com/pahen/madge#api).
declare module "madge" {
  interface MadgeConfig {
    baseDir?: string;
    fileExtensions?: string[];
    excludeRegExp?: RegExp[];
    tsConfig?: string | object;
  }
  interface MadgeResult {
    /** Each cycle as the files in it, in import order. */
    circular(): string[][];
    /** Every file and the files it imports. */
    obj(): Record<string, string[]>;
    warnings(): { skipped: string[] };
  }
  export default function madge(paths: string | string[], config?: MadgeConfig): Promise<MadgeResult>;
}
