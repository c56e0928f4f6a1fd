// Reading the operator config file (mounted outside the repository) from disk.
import {
  OPERATOR_CONFIG_MAX_BYTES,
  type OperatorConfig,
  parseOperatorConfig,
} from '../model/operator-config.js';
import type { SourceDoc } from '../model/source.js';
import { readTextFile } from './files.js';

/** Reads and validates the operator config at `abs` (`display` names it in errors). */
export function loadOperatorConfig(abs: string, display: string): { doc: SourceDoc; config: OperatorConfig } {
  const text = readTextFile(abs, display, { what: 'operator config', maxBytes: OPERATOR_CONFIG_MAX_BYTES });
  return parseOperatorConfig(display, text);
}
