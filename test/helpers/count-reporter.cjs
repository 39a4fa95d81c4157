// Spec output for people, plus a stats file the test script sums into the closing "N passed, N failed" line. The
// stats also carry the slowest tests, so the suite's run time (under 10 minutes on 2 cores) stays visible.
const {writeFileSync} = require('node:fs')
const {relative} = require('node:path')
const Mocha = require('mocha')

const SLOWEST = 10

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    const timed = []
    const record = (test) => {
      if (typeof test.duration !== 'number') return
      timed.push({
        file: test.file ? relative(process.cwd(), test.file) : null,
        ms: test.duration,
        title: test.fullTitle(),
      })
    }

    runner.on('pass', record)
    runner.on('fail', record)
    runner.once('end', () => {
      const file = process.env.MLXK_MOCHA_STATS
      if (!file) return
      const {failures, passes, pending} = this.stats
      const slowest = timed.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)
      writeFileSync(file, JSON.stringify({failed: failures, passed: passes, skipped: pending, slowest}))
    })
  }
}

module.exports = CountReporter
