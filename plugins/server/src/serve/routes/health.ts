import type {Topology} from 'mlxk/sdk/runtime'

import type {AppContext, AppDeps} from '../context.js'

/** The distributed group behind the runtime, for /health; null for a single process. */
function topologyView(topology: Topology | undefined): null | Record<string, unknown> {
  if (topology === undefined) return null
  return {
    backend: topology.backend,
    hosts: [...new Set(topology.ranks.map((rank) => rank.host))],
    ranks: topology.ranks,
    world_size: topology.world_size,
  }
}

/**
 * GET /health: open even with an API key, for probes. 503 while draining so a load balancer stops sending
 * traffic. `service` and `status: "healthy"` keep upstream mlx-knife's fields; the rest is added.
 */
export function healthRoute(ctx: AppContext, deps: AppDeps): void {
  const draining = deps.inflight.draining
  ctx.status = draining ? 503 : 200
  ctx.body = {
    in_flight: deps.inflight.count,
    models: deps.manager.snapshot(),
    runtime: {
      pid: deps.runtime.pid ?? null,
      restarts: deps.runtime.restarts,
      topology: topologyView(deps.runtime.topology),
    },
    service: 'mlxk-server',
    status: draining ? 'shutting_down' : 'healthy',
    uptime_s: Math.round(process.uptime()),
    version: deps.config.version,
  }
}

/** GET /metrics: Prometheus text exposition. */
export function metricsRoute(ctx: AppContext, deps: AppDeps): void {
  deps.metrics.runtimeRestarts.set({}, deps.runtime.restarts)
  deps.metrics.observeTopology(deps.runtime.topology, deps.manager.snapshot())
  ctx.type = 'text/plain; version=0.0.4; charset=utf-8'
  ctx.body = deps.metrics.render()
}
