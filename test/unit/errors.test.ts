import {expect} from 'chai'

import {ExitCode, MlxkError, toErrorBody} from '../../src/sdk/errors.js'

describe('errors', () => {
  it('puts details, type, message and hint into the envelope body', () => {
    const error = new MlxkError('ambiguous_match', "Multiple models match 'q'", {
      details: {matches: ['a/q1', 'b/q2']},
      hint: 'Use the full name',
    })
    expect(toErrorBody(error)).to.deep.equal({
      hint: 'Use the full name',
      matches: ['a/q1', 'b/q2'],
      message: "Multiple models match 'q'",
      type: 'ambiguous_match',
    })
    expect(error.exitCode).to.equal(ExitCode.error)
  })
})
