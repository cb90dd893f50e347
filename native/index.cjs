// Where this package's binary can be, in the order to try: a build from source (the install hook makes one only when
// no prebuild loads, and a developer's build is newer than any prebuild), then the prebuilt binaries for this
// platform. The loader in @ibotjs/tfjs-backend-native and scripts/install.cjs share this list.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The Node-API version the addon is compiled for (NAPI_VERSION in CMakeLists.txt; binary.napi_versions here). */
const NAPI_VERSION = 8;
/** The platforms prebuilt binaries are published for. */
const PREBUILT_PLATFORMS = ['linux-x64'];

function prebuildDir(platform = `${process.platform}-${process.arch}`) {
  return path.join(__dirname, 'prebuilds', platform);
}

function binaryCandidates() {
  const candidates = [{kind: 'local build', path: path.join(__dirname, 'build', 'Release', 'ibotjs_native.node')}];
  const dir = prebuildDir();
  let files = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.node')).sort();
  } catch {
    // No prebuild for this platform: the loader says so.
  }
  if (files.length === 0) candidates.push({kind: 'prebuild', path: path.join(dir, '@ibotjs+native.glibc.node')});
  for (const f of files) candidates.push({kind: 'prebuild', path: path.join(dir, f)});
  return candidates;
}

module.exports = {NAPI_VERSION, PREBUILT_PLATFORMS, binaryCandidates, prebuildDir};
