'use strict'
/**
 * The native addon, through the loader `napi build` generates (`binding.js`): it loads the
 * `bearer-rs.<platform>.node` beside it (a local build), else the `bearer-rs-<platform>` package npm
 * installed as an optional dependency. When neither loads, one error names the platform and what to do.
 */
try {
  module.exports = require('../binding.js')
} catch (cause) {
  throw missingAddon(cause)
}

function missingAddon (cause) {
  const { platform, arch } = process
  const libc = platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl') : ''
  const abi = platform === 'win32' ? 'msvc' : libc
  const name = `bearer-rs-${platform}-${arch}${abi ? `-${abi}` : ''}`
  const prebuilt = Object.keys(require('../package.json').optionalDependencies || {})
  const fix = prebuilt.includes(name)
    ? `Its binary is the package ${name}, an optional dependency npm installs on this platform: ` +
      'reinstall with optional dependencies enabled (without --omit=optional or --no-optional; ' +
      'if package-lock.json was written on another platform, delete it and node_modules first)'
    : `No prebuilt binary is published for it (there are: ${prebuilt.join(', ')})`
  const error = new Error(
    `bearer-rs could not load its native addon on ${platform}-${arch}${libc ? ` (${libc === 'gnu' ? 'glibc' : 'musl'})` : ''}, ` +
    `Node.js ${process.version}. ${fix}. Or build from source with Rust 1.88+: install a clone of ` +
    'the bearer-rs repository (`npm install ../bearer-rs`), whose prepare script runs `napi build`.'
  )
  error.code = 'ERR_BEARER_RS_NATIVE_ADDON'
  error.cause = cause
  return error
}
