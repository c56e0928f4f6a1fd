// The GitHub Action's entry point (dist/action/index.js): run it and hand its exit code to the runner.
import { runAction } from './action.js';

runAction().then((code) => {
  process.exitCode = code;
});
