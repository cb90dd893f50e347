#!/usr/bin/env node
// Stands in for node-gyp when prebuildify runs (prebuildify 6 has no cmake-js backend and ignores --backend). prebuildify
// calls `<this> rebuild --target=... --arch=... --release` in its --cwd and then takes the first *.node from
// <cwd>/build/Release; we build the CMake project there, always with CUDA and the static C++ runtime.
'use strict';
const path = require('node:path');

const {build} = require('./build.cjs');

const [command] = process.argv.slice(2);
if (command !== 'rebuild') {
  console.error(`cmake-js-shim: prebuildify asked for '${command}'; only 'rebuild' is supported`);
  process.exit(1);
}
// prebuildify builds for the running Node only with --napi: the Node-API version comes from the addon's NAPI_VERSION, so
// --target and --arch (always the host's here) need no translation.
process.exit(build({out: path.join(process.cwd(), 'build'), staticRuntime: true}));
