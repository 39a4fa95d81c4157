// Spec output for people, plus a stats file the test script sums into the closing "N passed, N failed" line.
const {writeFileSync} = require('node:fs')
const Mocha = require('mocha')

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once('end', () => {
      const file = process.env.MLXK_MOCHA_STATS
      if (!file) return
      const {failures, passes, pending} = this.stats
      writeFileSync(file, JSON.stringify({failed: failures, passed: passes, skipped: pending}))
    })
  }
}

module.exports = CountReporter
