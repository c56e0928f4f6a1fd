// The import formats by name: `ringlock import <format> <file>…`. A new format is one file beside autocom.ts.
import { autocom } from './autocom.js';
import type { ImportFormat } from './types.js';

export const IMPORT_FORMATS: ReadonlyMap<string, ImportFormat> = new Map([[autocom.name, autocom]]);
