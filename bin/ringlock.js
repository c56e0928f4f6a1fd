#!/usr/bin/env node
import { main } from '../dist/cli.js';

// A reader that stops early (`ringlock ring list | head -1`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The daemon has stopped and written its state: a handle a library left open (a socket, a retry timer) must not
  // keep the process past its shutdown budget.
  if (process.argv[2] === 'daemon') setTimeout(() => process.exit(code), 2000).unref();
});
