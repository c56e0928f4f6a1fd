// The package's version, kept equal to package.json's by release-please (release-please-config.json extra-files).
export const VERSION = '0.1.0'; // x-release-please-version
