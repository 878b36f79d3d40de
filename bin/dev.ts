// Development entry point: runs the CLI from source through tsx (`npx tsx bin/dev.ts …`), no build needed.
import { main } from '../src/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 70;
  },
);
