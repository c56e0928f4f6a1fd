// What every import format reads a foreign lock into: format-neutral, with the parsed document kept so every problem
// found later (unknown module, version the source does not hold) can still name file:line.
import type { Diagnostic } from '../errors.js';
import type { SourceDoc } from '../model/source.js';

/** One module as the foreign lock pins it. */
export interface ImportedModule {
  /** The module's key in the foreign lock (AutoCom: the alias), which must be a ringlock module name. */
  name: string;
  version: string;
  /** The foreign lock's content hash, `sha256:<hex>` lower-cased: compared with ringlock's, never written. */
  sha256: string;
  /** Where the module came from (AutoCom's `source`): becomes the lock entry's `origin`. */
  origin?: string;
  fileCount?: number;
  sizeBytes?: number;
  /** JSON pointer of the module's entry in the document. */
  pointer: string;
}

/** A value of the foreign lock that the ring lock does not hold, and why. */
export interface NotCarried {
  /** JSON pointer in the foreign lock. */
  pointer: string;
  module?: string;
  value: unknown;
  reason: string;
}

export interface ImportedLock {
  doc: SourceDoc;
  /** The ring the file says it is for (a field inside it, or its file name), if it says. */
  ring?: { name: string; from: 'field' | 'file name'; pointer?: string };
  /** The platform version the lock was made for. */
  platform?: string;
  modules: ImportedModule[];
  notCarried: NotCarried[];
}

/** One foreign lock format. `parse` is pure: it returns every problem it finds, never throws for bad input. */
export interface ImportFormat {
  name: string;
  /** One line for `--help`. */
  describe: string;
  parse(doc: SourceDoc): { lock?: ImportedLock; diagnostics: Diagnostic[] };
}
