#!/usr/bin/env node
// The published entry point: runs the compiled CLI. `npm install` builds dist/ through the prepare script.
import { main } from '../dist/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
