'use strict'
/**
 * Child Node processes with an IPC channel, pinned to one CPU with `taskset` when the machine has
 * at least two and `taskset` exists (so a server and its load generator do not share a core).
 */
const { execFileSync, spawn } = require('node:child_process')
const os = require('node:os')

const canPin = (() => {
  if (os.availableParallelism() < 2) return false
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** Runs `node [nodeArgs] file ...args` on `cpu` (when pinning is possible). */
function spawnNode (file, args = [], { cpu, nodeArgs = [] } = {}) {
  const argv = [...nodeArgs, file, ...args]
  const stdio = ['ignore', 'inherit', 'inherit', 'ipc']
  if (canPin && cpu !== undefined) return spawn('taskset', ['-c', String(cpu), process.execPath, ...argv], { stdio })
  return spawn(process.execPath, argv, { stdio })
}

/** The child's next IPC message; rejects if it exits first. */
function nextMessage (child) {
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`child exited with ${code} before replying`))
    child.once('exit', onExit)
    child.once('message', (message) => {
      child.off('exit', onExit)
      resolve(message)
    })
  })
}

/** Resolves once the child has exited (disconnecting it first, so it stops by itself). */
function stop (child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', resolve)
    if (child.connected) child.disconnect()
    else child.kill()
  })
}

module.exports = { canPin, nextMessage, spawnNode, stop }
