import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT, runMlxk} from '../helpers/run-cli.js'

interface Topic {
  description: string
  hidden?: boolean
}

/** `name → description` from a help section, continuation lines of wrapped descriptions joined. */
function helpSection(help: string, title: string): Map<string, string> {
  const lines = help.slice(help.indexOf(`\n${title}\n`) + title.length + 2).split('\n')
  const entries = new Map<string, string>()
  let last: string | undefined
  for (const line of lines) {
    if (!line.startsWith('  ')) break
    const entry = /^ {2}(\S+)\s+(.*)$/.exec(line)
    if (entry) entries.set((last = entry[1]!), entry[2]!)
    else if (last) entries.set(last, `${entries.get(last)} ${line.trim()}`)
  }

  return entries
}

// Without `oclif.topics`, oclif describes a topic with one of its commands' summaries ("Disable alpha plugins…"),
// which tells a user nothing about the rest of the topic.
describe('@spec help describes each topic in its own words', () => {
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    oclif: {topics?: Record<string, Topic>}
  }
  const topics = pjson.oclif.topics ?? {}

  it('`mlxk --help` lists every visible topic with the description package.json gives it', async () => {
    const r = await runMlxk(['--help'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const shown = helpSection(r.stdout, 'TOPICS')
    expect([...shown.keys()]).to.include.members(['alpha', 'plugins', 'runtime'])
    for (const [name, description] of shown) {
      expect(topics[name], `oclif.topics.${name} in package.json`).to.be.an('object')
      expect(description, name).to.equal(topics[name]!.description)
    }

    const commands = new Set(helpSection(r.stdout, 'COMMANDS').values())
    for (const [name, description] of shown)
      expect(commands.has(description), `${name}: ${description}`).to.equal(false)
  })

  it('a hidden topic keeps its description for `mlxk <topic> --help`', async () => {
    for (const [name, topic] of Object.entries(topics).filter(([, t]) => t.hidden)) {
      const r = await runMlxk([name, '--help'])
      expect(r.stdout.split('\n')[0], name).to.equal(topic.description)
    }
  })
})
