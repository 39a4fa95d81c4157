import {Flags, usageError} from 'mlxk/sdk'

/**
 * A decimal flag with a range. oclif has only integer flags; sampling parameters are fractions, and a value out
 * of range must fail at parse time (exit 2) rather than as a runtime `bad_request` after the model loaded.
 */
export function decimalFlag(options: {
  default?: number
  description: string
  max?: number
  min?: number
  minExclusive?: boolean
}) {
  const {max, min, minExclusive = false} = options
  const range = [min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`, max === undefined ? '' : `≤ ${max}`]
    .filter(Boolean)
    .join(' and ')
  return Flags.custom<number>({
    ...(options.default === undefined ? {} : {default: options.default}),
    description: options.description,
    async parse(input: string): Promise<number> {
      const value = Number(input)
      const tooLow = min !== undefined && (minExclusive ? value <= min : value < min)
      const tooHigh = max !== undefined && value > max
      if (input.trim() === '' || !Number.isFinite(value) || tooLow || tooHigh) {
        // An MlxkError keeps its usage type and exit 2 through oclif, which only prefixes the message.
        throw usageError(`Expected a number${range ? ` ${range}` : ''} but received: ${input}`)
      }

      return value
    },
  })()
}
