// Stops `npm install`, `npm start` and the `whispr` command with one clear line on a Node.js older
// than package.json's engines, instead of a crash later. CommonJS and old syntax on purpose: it must
// run on the very runtimes it refuses.
'use strict';
var wanted = Number(/>=\s*(\d+)/.exec(require('../package.json').engines.node)[1]);
var found = process.versions.node;
if (Number(found.split('.')[0]) < wanted) {
  // biome-ignore lint/style/useTemplate: this file must parse on the old runtimes it refuses, some of which predate template literals
  console.error('Whispr needs Node.js >= ' + wanted + ', found ' + found);
  process.exit(1);
}
