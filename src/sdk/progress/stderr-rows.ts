/** One Listr2 row whose title and end the caller drives: `finish` is attached at once, `setTitle` once it runs. */
export interface StderrRow {
  finish?: (error?: Error) => void
  label: string
  setTitle?: (text: string) => void
}

export type RunRows = <R extends StderrRow>(rows: readonly R[], firstTitle: (row: R) => string) => Promise<unknown>

/**
 * Loads Listr2 and returns a runner that shows rows concurrently on stderr (Listr2 would write to stdout, which
 * belongs to the command's result). The runner's promise settles when every row finished; it never rejects.
 */
export async function stderrRowRunner(): Promise<RunRows> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const logger = new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})
  return (rows, firstTitle) => {
    const tasks = rows.map((row) => {
      // A row may be finished before Listr2 has started its task (a fast step, or stop() right after start):
      // the outcome is kept and applied when the task starts, or the run would wait forever.
      let outcome: undefined | {error?: Error}
      let settle: ((error?: Error) => void) | undefined
      row.finish = (error) => (settle ? settle(error) : (outcome = {...(error ? {error} : {})}))
      return {
        task: (_ctx: unknown, wrapper: {title: string}) =>
          new Promise<void>((resolve, reject) => {
            row.setTitle = (text) => (wrapper.title = text)
            row.setTitle(firstTitle(row))
            settle = (error) => (error ? reject(error) : resolve())
            if (outcome) settle(outcome.error)
          }),
        title: row.label,
      }
    })
    return new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      fallbackRendererOptions: {logger},
      registerSignalListeners: false,
      rendererOptions: {collapseErrors: true, logger},
    })
      .run()
      .catch(() => {})
  }
}
