import {expect} from 'chai'

import {checkRamBudget, GIB, MEMORY_OVERHEAD, ramBudgetBytes, ramBudgetFraction} from '../../live/ram-budget.js'

describe('live portfolio RAM budget', () => {
  it("keeps upstream's table exactly at its points: 16 GB 40 %, 32 GB 50 %, 64 GB 60 %, 96 GB+ 70 %", () => {
    expect(ramBudgetFraction(16 * GIB)).to.equal(0.4)
    expect(ramBudgetFraction(32 * GIB)).to.equal(0.5)
    expect(ramBudgetFraction(64 * GIB)).to.equal(0.6)
    expect(ramBudgetFraction(96 * GIB)).to.equal(0.7)
    expect(ramBudgetBytes(32 * GIB)).to.equal(16 * GIB)
  })

  it('is linear between the points and flat outside them', () => {
    expect(ramBudgetFraction(24 * GIB)).to.be.closeTo(0.45, 1e-12)
    expect(ramBudgetFraction(48 * GIB)).to.be.closeTo(0.55, 1e-12)
    expect(ramBudgetFraction(80 * GIB)).to.be.closeTo(0.65, 1e-12)
    expect(ramBudgetFraction(8 * GIB)).to.equal(0.4)
    expect(ramBudgetFraction(512 * GIB)).to.equal(0.7)
  })

  it('never shrinks as RAM grows', () => {
    let previous = 0
    for (let gib = 1; gib <= 256; gib++) {
      const budget = ramBudgetBytes(gib * GIB)
      expect(budget).to.be.at.least(previous)
      previous = budget
    }
  })

  it('fits a model whose weights plus overhead fit, and says why another does not', () => {
    // 32 GB → 16 GB budget: an 8 GB model fits, a 32 GB one does not (upstream's worked example).
    expect(checkRamBudget(8 * GIB, 32 * GIB)).to.include({fits: true, reason: null})
    const big = checkRamBudget(32 * GIB, 32 * GIB)
    expect(big.fits).to.equal(false)
    expect(big.requiredBytes).to.equal(Math.ceil(32 * GIB * MEMORY_OVERHEAD))
    expect(big.reason).to.equal(
      'Model requires 38.4 GB (weights 32.0 GB + 20 %) but only 16.0 GB available (50 % of 32.0 GB RAM)',
    )
  })
})
