import type {ParameterizedContext} from 'koa'

import type {AppContext, AppDeps, AppState} from '../context.js'
import type {Flavor} from '../openai/flavors.js'
import type {SamplingFields} from '../openai/request.js'

/** A request whose body passed its schema and the server's own rules: handlers read `ctx.state.input`. */
export type ValidatedContext<B> = ParameterizedContext<AppState & {input: B}>

export type ValidatedHandler<B> = (ctx: ValidatedContext<B>) => Promise<void>

/**
 * Checks the JSON body against the request schema, then against what the server refuses to do (decisions.md,
 * Server), and hands the typed body on. Nothing after it validates or casts the body again.
 */
export function validated<B extends SamplingFields>(
  deps: AppDeps,
  flavor: Flavor<B>,
  handler: ValidatedHandler<B>,
): (ctx: AppContext) => Promise<void> {
  return async (ctx) => {
    deps.validator.check(flavor.kind, ctx.state.body)
    const input = ctx.state.body as B
    flavor.reject(input)
    const typed = ctx as ValidatedContext<B>
    typed.state.input = input
    await handler(typed)
  }
}
